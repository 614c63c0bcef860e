// One window per case. Each window answers its own IPC (webContents.ipc, not the app-wide ipcMain): the handlers
// check that the request comes from this window's own page and, through the registry, which case the window is
// bound to. The decisions live in window-registry.ts (no Electron, unit tested); this file only carries them out.
import path from 'node:path';
import { BrowserWindow, dialog, type IpcMainInvokeEvent } from 'electron';
import type { Dispatcher } from '../src/contract/dispatcher.ts';
import type { Session } from '../src/contract/session.ts';
import type { CaseWindowAnswer, ContractResponse } from '../src/contract/types.ts';
import { AuditWsError, toErrorPayload } from '../src/errors.ts';
import { closeWindowQuestion, releaseCase } from './case-host.ts';
import { CONTRACT_CHANNEL, WINDOW_CHANNEL } from './channels.ts';
import { appPageUrl, isAppUrl, parseContractRequest, parseOpenCaseRequest } from './policy.ts';
import { CaseWindowRegistry, checkCaseScope } from './window-registry.ts';

export interface Shell {
  dispatcher: Dispatcher;
  session: Session;
  devServerUrl?: string;
  registry: CaseWindowRegistry<BrowserWindow>;
}

/** Every window of the app gets exactly these preferences (test/e2e/electron-main.test.ts reads them back). */
export function appWebPreferences(): Electron.WebPreferences {
  return {
    preload: path.join(import.meta.dirname, 'preload.js'),
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

function caseName(shell: Shell, slug: string): string {
  try {
    return shell.session.cases.workspace.summary(shell.session.cases.workspace.locate(slug)).name;
  } catch {
    return slug;
  }
}

/** The slug of a case given by name or slug, or undefined when the workspace has no such case. */
function slugOf(shell: Shell, nameOrSlug: string): string | undefined {
  try {
    return shell.session.cases.slugOf(nameOrSlug);
  } catch {
    return undefined;
  }
}

/** The request must come from this window's own page, on the app's origin. */
function checkSender(window: BrowserWindow, event: IpcMainInvokeEvent, devServerUrl?: string): void {
  const frameUrl = event.senderFrame?.url ?? '';
  if (event.sender !== window.webContents || !isAppUrl(frameUrl, devServerUrl)) {
    throw new AuditWsError('BAD_USAGE', `request refused: frame "${frameUrl}" is not part of this app`);
  }
}

/** A contract request from `window`: sender, payload shape and case scope checked, then the shared dispatcher. */
export async function answerContract(
  shell: Shell,
  window: BrowserWindow,
  event: IpcMainInvokeEvent,
  payload: unknown,
): Promise<ContractResponse> {
  try {
    checkSender(window, event, shell.devServerUrl);
    const { method, params } = parseContractRequest(payload);
    const { registry, session } = shell;
    const bound = registry.caseOf(window.id);
    checkCaseScope({ id: window.id, slug: bound }, method, params, {
      slugOf: (name) => slugOf(shell, name),
      caseOfJob: (id) => {
        try {
          return session.jobs.get(id).case;
        } catch {
          return undefined;
        }
      },
      windowOfCase: (slug) => registry.windowOf(slug)?.id,
    });
    const response = await shell.dispatcher.handle(method, params);
    // The case this window showed is gone: the window shows the case list and may open another case.
    if (method === 'cases.delete' && response.ok && bound !== undefined && !slugOf(shell, bound)) {
      registry.unbind(window.id);
      window.setTitle('AI Audit Workstation');
    }
    return response;
  } catch (err) {
    return toErrorPayload(err);
  }
}

/**
 * Shows a case: here (the asking window is the case's, or was unbound and is now), in its window brought to the
 * front, or in a new window. `from` undefined: the native menu asks, with no window of its own.
 */
export function showCase(
  shell: Shell,
  from: BrowserWindow | undefined,
  slug: string,
  hash: string,
): 'here' | 'elsewhere' {
  const decision = shell.registry.decide(from?.id, slug);
  if (decision.action === 'here') {
    from?.setTitle(`${caseName(shell, slug)} · AI Audit Workstation`);
    return 'here';
  }
  if (decision.action === 'focus') {
    if (decision.window.isMinimized()) decision.window.restore();
    decision.window.focus();
    return 'elsewhere';
  }
  createAppWindow(shell, hash, slug);
  return 'elsewhere';
}

async function answerOpenCase(
  shell: Shell,
  window: BrowserWindow,
  event: IpcMainInvokeEvent,
  payload: unknown,
): Promise<CaseWindowAnswer> {
  try {
    checkSender(window, event, shell.devServerUrl);
    const request = parseOpenCaseRequest(payload);
    // An unknown case is shown here: its screen then says that there is no such case, and which cases there are.
    const slug = slugOf(shell, request.slug);
    if (slug === undefined) return { ok: true, where: 'here' };
    return { ok: true, where: showCase(shell, window, slug, request.hash) };
  } catch (err) {
    return toErrorPayload(err);
  }
}

/**
 * A new window on route `hash` ('' lets the UI choose: the demo case on first start), bound to case `slug` when
 * given. Closing it asks first when tasks of its case still run, then releases the case (tasks cancelled, case
 * closed, lock freed).
 */
export function createAppWindow(shell: Shell, hash = '', slug?: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    title: slug !== undefined ? `${caseName(shell, slug)} · AI Audit Workstation` : 'AI Audit Workstation',
    webPreferences: appWebPreferences(),
  });
  const id = window.id;
  shell.registry.add(window, slug);
  window.webContents.ipc.handle(CONTRACT_CHANNEL, (event, payload) => answerContract(shell, window, event, payload));
  window.webContents.ipc.handle(WINDOW_CHANNEL, (event, payload) => answerOpenCase(shell, window, event, payload));
  window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    const slug = shell.registry.caseOf(id);
    if (slug === undefined) return;
    const question = closeWindowQuestion(caseName(shell, slug), shell.session.jobs.running(slug));
    if (question === undefined) return;
    const choice = dialog.showMessageBoxSync(window, {
      type: 'warning',
      title: 'Tasks are running',
      message: question,
      buttons: ['Keep the window open', 'Cancel the tasks and close'],
      defaultId: 0,
      cancelId: 0,
    });
    if (choice === 0) event.preventDefault();
  });
  window.on('closed', () => {
    const released = shell.registry.release(id);
    if (released !== undefined) void releaseCase(shell.session, released);
  });
  void window.loadURL(appPageUrl(hash, shell.devServerUrl));
  return window;
}

/** The window that shows the case list, brought to the front (or opened). */
export function showCaseList(shell: Shell): BrowserWindow {
  const existing = shell.registry.unbound();
  if (existing) {
    if (existing.isMinimized()) existing.restore();
    existing.focus();
    return existing;
  }
  return createAppWindow(shell, '#/cases');
}
