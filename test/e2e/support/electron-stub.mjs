// A stand-in for the 'electron' module, for running the built main process in plain Node: it records what the
// main process registers (IPC handlers, protocol handler, session filters, windows, menu) so a driver can call it.
export const recorded = {
  sandboxEnabled: false,
  privilegedSchemes: [],
  protocolHandlers: {},
  ipcHandlers: {},
  appListeners: {},
  session: {},
  windows: [],
  menu: undefined,
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

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler) => void (recorded.session.permissionRequest = handler),
    setPermissionCheckHandler: (handler) => void (recorded.session.permissionCheck = handler),
    webRequest: {
      onBeforeRequest: (handler) => void (recorded.session.beforeRequest = handler),
      onHeadersReceived: (handler) => void (recorded.session.headersReceived = handler),
    },
  },
};

export class BrowserWindow {
  constructor(options) {
    this.options = options;
    this.webContents = { send: () => undefined };
    recorded.windows.push(this);
  }
  once() {}
  on() {}
  loadURL(url) {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  isMinimized() {
    return false;
  }
  static getAllWindows() {
    return recorded.windows;
  }
}

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => void (recorded.menu = menu),
};

export const dialog = { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) };
