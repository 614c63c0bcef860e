import { BrowserWindow, Menu, dialog, type MenuItemConstructorOptions } from 'electron';
import type { AppEvent } from '../src/contract/types.ts';
import { APP_EVENT_CHANNEL } from './channels.ts';

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

export function buildMenu(getWindow: () => BrowserWindow | undefined, isDevelopment: boolean): Menu {
  const withWindow = (action: (window: BrowserWindow) => unknown) => () => {
    const window = getWindow();
    if (window) void action(window);
  };
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'Open archive…', accelerator: 'CmdOrCtrl+O', click: withWindow((w) => chooseArchive(w, false)) },
        {
          label: 'Open archive folder…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: withWindow((w) => chooseArchive(w, true)),
        },
        { type: 'separator' },
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
  ];
  return Menu.buildFromTemplate(template);
}
