// The Electron main process: a thin shell around the core. It serves the built UI on its own scheme, locks every
// renderer down, opens one window per case (main/windows.ts) whose IPC answers through the same dispatcher as
// browser mode, and prints report PDFs with Electron itself (main/pdf.ts).
import path from 'node:path';
import { BrowserWindow, Menu, app, session } from 'electron';
import { createDispatcher } from '../src/contract/dispatcher.ts';
import { closeSessions, sessionFor } from '../src/contract/session.ts';
import type { HandlerContext } from '../src/contract/types.ts';
import { ensureDemoArchive, resolveWorkspace } from '../src/contract/workspace.ts';
import { buildMenu } from './menu.ts';
import { electronPdfRenderer } from './pdf.ts';
import { contentSecurityPolicy, isAllowedRequest, isAppUrl } from './policy.ts';
import { registerAppScheme, serveRendererFrom } from './protocol.ts';
import { CaseWindowRegistry } from './window-registry.ts';
import { createAppWindow, type Shell } from './windows.ts';

const devServerUrl = MAIN_WINDOW_VITE_DEV_SERVER_URL || undefined;
let shell: Shell | undefined;

registerAppScheme();
app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

app.on('second-instance', () => {
  const window = BrowserWindow.getFocusedWindow() ?? shell?.registry.all()[0];
  if (window?.isMinimized()) window.restore();
  window?.focus();
});

// Every web contents, including any the app did not create itself: no navigation away, no new windows,
// no <webview>.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

function lockDownSession(): void {
  const ses = session.defaultSession;
  const csp = contentSecurityPolicy(devServerUrl);
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isAllowedRequest(details.url, devServerUrl) }),
  );
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } }),
  );
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Before the process ends: running tasks cancelled (an import rolls back), every case closed and its lock freed.
let sessionsClosed = false;
app.on('will-quit', (event) => {
  if (sessionsClosed) return;
  event.preventDefault();
  void closeSessions()
    .catch(() => undefined)
    .finally(() => {
      sessionsClosed = true;
      app.quit();
    });
});

app.whenReady().then(async () => {
  const workspace = resolveWorkspace();
  try {
    await ensureDemoArchive(workspace);
  } catch (err) {
    // The app stays usable without the demo; the home screen says it is missing.
    console.error(`demo archive could not be generated in ${workspace}: ${String(err)}`);
  }
  lockDownSession();
  serveRendererFrom(path.join(import.meta.dirname, '..', 'renderer', MAIN_WINDOW_VITE_NAME));
  const context: HandlerContext = { mode: 'electron', workspace, pdf: electronPdfRenderer() };
  const current: Shell = {
    dispatcher: createDispatcher(context),
    session: sessionFor(context),
    registry: new CaseWindowRegistry<BrowserWindow>(),
    ...(devServerUrl ? { devServerUrl } : {}),
  };
  shell = current;
  Menu.setApplicationMenu(buildMenu(current, devServerUrl !== undefined));
  // The first window opens where the UI chooses: the demo case on first start, and becomes that case's window.
  createAppWindow(current);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createAppWindow(current);
  });
});
