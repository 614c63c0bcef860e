import { BrowserWindow, Menu, dialog, type MenuItemConstructorOptions } from 'electron';
import type { AppEvent } from '../src/contract/types.ts';
import { caseOfFolder } from './case-host.ts';
import { APP_EVENT_CHANNEL } from './channels.ts';
import { caseHash } from './policy.ts';
import { showCase, showCaseList, type Shell } from './windows.ts';

/**
 * File › Open archive…: the chosen path goes to the focused window. A case's window adds it to that case's import
 * wizard; the case list's window inspects the archive without importing it.
 */
async function chooseArchive(window: BrowserWindow, folder: boolean): Promise<void> {
  // Linux and Windows cannot offer files and folders in one dialog, hence two menu items.
  const result = await dialog.showOpenDialog(window, {
    title: folder ? 'Open archive folder' : 'Open archive',
    properties: folder ? ['openDirectory'] : ['openFile'],
    filters: folder
      ? []
      : [
          { name: 'Audit archives', extensions: ['zip', 'tar', 'gz', 'tgz', 'jsonl', 'ndjson', 'parquet'] },
          { name: 'All files', extensions: ['*'] },
        ],
  });
  const path = result.filePaths[0];
  if (result.canceled || path === undefined) return;
  const event: AppEvent = { type: 'open-archive', path };
  window.webContents.send(APP_EVENT_CHANNEL, event);
}

/** File › Open case…: a case folder of the workspace, shown in its own window (focused when it is open already). */
async function chooseCase(shell: Shell, parent: BrowserWindow | undefined): Promise<void> {
  const workspace = shell.session.cases.workspace;
  const options: Electron.OpenDialogOptions = {
    title: 'Open case',
    buttonLabel: 'Open case',
    defaultPath: workspace.casesDir,
    properties: ['openDirectory'],
  };
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  const folder = result.filePaths[0];
  if (result.canceled || folder === undefined) return;
  try {
    const slug = caseOfFolder(workspace, folder);
    showCase(shell, undefined, slug, caseHash(slug));
  } catch (err) {
    const box = { type: 'error' as const, title: 'Not a case', message: (err as Error).message };
    if (parent) await dialog.showMessageBox(parent, box);
    else await dialog.showMessageBox(box);
  }
}

export function buildMenu(shell: Shell, isDevelopment: boolean): Menu {
  const focused = () => BrowserWindow.getFocusedWindow() ?? undefined;
  const withWindow = (action: (window: BrowserWindow) => unknown) => () => {
    const window = focused() ?? showCaseList(shell);
    void action(window);
  };
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'Open case…', accelerator: 'CmdOrCtrl+O', click: () => void chooseCase(shell, focused()) },
        { label: 'Case list', accelerator: 'CmdOrCtrl+Shift+L', click: () => void showCaseList(shell) },
        { type: 'separator' },
        { label: 'Open archive…', accelerator: 'CmdOrCtrl+I', click: withWindow((w) => chooseArchive(w, false)) },
        {
          label: 'Open archive folder…',
          accelerator: 'CmdOrCtrl+Alt+I',
          click: withWindow((w) => chooseArchive(w, true)),
        },
        { type: 'separator' },
        { role: 'close' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(isDevelopment ? ([{ role: 'reload' }, { role: 'toggleDevTools' }] as const) : []),
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
