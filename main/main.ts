// The Electron main process: a thin shell around the core. It serves the built UI on its own scheme, locks the
// renderer down, and answers the UI's contract requests with the same dispatcher as browser mode.
import path from 'node:path';
import { BrowserWindow, Menu, app, session } from 'electron';
import { createDispatcher } from '../src/contract/dispatcher.ts';
import { ensureDemoArchive, resolveWorkspace } from '../src/contract/workspace.ts';
import { registerContractIpc } from './ipc.ts';
import { buildMenu } from './menu.ts';
import { APP_ORIGIN, contentSecurityPolicy, isAllowedRequest, isAppUrl } from './policy.ts';
import { registerAppScheme, serveRendererFrom } from './protocol.ts';

const devServerUrl = MAIN_WINDOW_VITE_DEV_SERVER_URL || undefined;
let mainWindow: BrowserWindow | undefined;

registerAppScheme();
app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

app.on('second-instance', () => {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.focus();
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

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    title: 'AI Audit Workstation',
    webPreferences: {
      preload: path.join(import.meta.dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  void window.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`);
  return window;
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
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
  registerContractIpc(createDispatcher({ mode: 'electron', workspace }), devServerUrl);
  Menu.setApplicationMenu(buildMenu(() => mainWindow, devServerUrl !== undefined));
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});
