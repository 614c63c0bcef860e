// A stand-in for the 'electron' module, for running the built main process in plain Node: it records what the
// main process registers (IPC handlers per window, protocol handler, session filters, windows, menu, dialogs) so a
// driver can call it and read it back.
import { EventEmitter } from 'node:events';

export const recorded = {
  sandboxEnabled: false,
  privilegedSchemes: [],
  protocolHandlers: {},
  ipcHandlers: {},
  appListeners: {},
  session: {},
  partitions: {},
  windows: [],
  menu: undefined,
  dialogs: [],
  /** What the next message boxes answer (button index), first in first out; 0 when empty. */
  messageBoxAnswers: [],
  /** What the next open dialogs answer, first in first out; cancelled when empty. */
  openDialogAnswers: [],
  printed: [],
};
globalThis.__electronStub = recorded;

export const app = {
  enableSandbox: () => void (recorded.sandboxEnabled = true),
  requestSingleInstanceLock: () => true,
  quit: () => undefined,
  on: (event, listener) => void (recorded.appListeners[event] = listener),
  whenReady: () => Promise.resolve(),
};

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => void recorded.privilegedSchemes.push(...schemes),
  handle: (scheme, handler) => void (recorded.protocolHandlers[scheme] = handler),
};

export const ipcMain = { handle: (channel, handler) => void (recorded.ipcHandlers[channel] = handler) };

function fakeSession(store) {
  return {
    setPermissionRequestHandler: (handler) => void (store.permissionRequest = handler),
    setPermissionCheckHandler: (handler) => void (store.permissionCheck = handler),
    webRequest: {
      onBeforeRequest: (handler) => void (store.beforeRequest = handler),
      onHeadersReceived: (handler) => void (store.headersReceived = handler),
    },
  };
}

export const session = {
  defaultSession: fakeSession(recorded.session),
  fromPartition: (name, options) => {
    recorded.partitions[name] ??= { options };
    return fakeSession(recorded.partitions[name]);
  },
};

let nextId = 1;
let focusedId = null;

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.id = nextId++;
    this.options = options;
    this.title = options.title;
    this.focusCount = 0;
    this.destroyed = false;
    const handlers = {};
    this.webContents = {
      id: this.id,
      ipcHandlers: handlers,
      ipc: { handle: (channel, handler) => void (handlers[channel] = handler) },
      sent: [],
      send: (channel, payload) => void this.webContents.sent.push({ channel, payload }),
      printToPDF: async (printOptions) => {
        // What the page would have fetched while printing: the printed file, and things it must not reach.
        const filter = options.webPreferences.session?.__store?.beforeRequest;
        const ask = (url) => new Promise((resolve) => filter({ url }, (a) => resolve(a.cancel === true)));
        const cancels = filter
          ? {
              printed: await ask(this.loadedUrl),
              remote: await ask('https://example.com/logo.png'),
              otherFile: await ask('file:///etc/passwd'),
              app: await ask('audit-ws://app/index.html'),
            }
          : undefined;
        recorded.printed.push({ url: this.loadedUrl, options: printOptions, cancels });
        return new TextEncoder().encode(`%PDF-stub ${printOptions.footerTemplate.length}`);
      },
    };
    recorded.windows.push(this);
  }
  loadURL(url) {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {
    this.focusCount++;
    focusedId = this.id;
  }
  show() {}
  setTitle(title) {
    this.title = title;
  }
  isDestroyed() {
    return this.destroyed;
  }
  /** Like Electron: 'close' may be prevented; otherwise the window goes and 'closed' follows. */
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => void (prevented = true) });
    if (prevented) return false;
    this.destroy();
    return true;
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    if (focusedId === this.id) focusedId = null;
    this.emit('closed');
  }
  static getAllWindows() {
    return recorded.windows.filter((w) => !w.destroyed);
  }
  static getFocusedWindow() {
    return recorded.windows.find((w) => w.id === focusedId && !w.destroyed) ?? null;
  }
}

// The printer's session object carries its recorded handlers, so printToPDF above can consult its filter.
const originalFromPartition = session.fromPartition;
session.fromPartition = (name, options) => {
  const ses = originalFromPartition(name, options);
  ses.__store = recorded.partitions[name];
  return ses;
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => void (recorded.menu = menu),
};

export const dialog = {
  showOpenDialog: async (...args) => {
    recorded.dialogs.push({ kind: 'open', options: args.at(-1) });
    return recorded.openDialogAnswers.shift() ?? { canceled: true, filePaths: [] };
  },
  showMessageBox: async (...args) => {
    recorded.dialogs.push({ kind: 'message', options: args.at(-1) });
    return { response: recorded.messageBoxAnswers.shift() ?? 0 };
  },
  showMessageBoxSync: (...args) => {
    recorded.dialogs.push({ kind: 'message', options: args.at(-1) });
    return recorded.messageBoxAnswers.shift() ?? 0;
  },
};
