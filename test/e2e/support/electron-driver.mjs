// Loads a built main process (argv[2]) against the Electron stub, exercises what it registered, prints JSON.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(new URL('./electron-hooks.mjs', import.meta.url));
const { recorded } = await import('./electron-stub.mjs');
await import(pathToFileURL(process.argv[2]).href);

const deadline = Date.now() + 20_000;
while (recorded.windows.length === 0 || recorded.menu === undefined) {
  if (Date.now() > deadline) throw new Error('the main process created no window within 20 s');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const serve = recorded.protocolHandlers['audit-ws'];
const fetchApp = async (url) => {
  const response = await serve(new Request(url));
  return { status: response.status, csp: response.headers.get('content-security-policy'), body: await response.text() };
};
const contract = recorded.ipcHandlers.contract;
const cancelled = (url) =>
  new Promise((resolve) => recorded.session.beforeRequest({ url }, (answer) => resolve(answer.cancel === true)));
const permission = await new Promise((resolve) => recorded.session.permissionRequest(null, 'media', resolve));
const window = recorded.windows[0];

const result = {
  sandboxEnabled: recorded.sandboxEnabled,
  privilegedSchemes: recorded.privilegedSchemes,
  webPreferences: { ...window.options.webPreferences, preload: window.options.webPreferences.preload.split('/').pop() },
  loadedUrl: window.loadedUrl,
  menu: recorded.menu.template.map((item) => item.label ?? item.role),
  fileMenu: recorded.menu.template[0].submenu.map((item) => item.label ?? item.role ?? item.type),
  index: await fetchApp('audit-ws://app/index.html'),
  traversal: await fetchApp('audit-ws://app/..%2f..%2fpackage.json'),
  otherHost: await fetchApp('audit-ws://elsewhere/index.html'),
  ipcFromApp: await contract({ senderFrame: { url: 'audit-ws://app/index.html' } }, { method: 'app.info', params: {} }),
  ipcFromElsewhere: await contract({ senderFrame: { url: 'https://evil.example/' } }, { method: 'app.info' }),
  ipcMalformed: await contract({ senderFrame: { url: 'audit-ws://app/index.html' } }, 'app.info'),
  cancels: {
    remote: await cancelled('https://example.com/x.js'),
    file: await cancelled('file:///etc/passwd'),
    app: await cancelled('audit-ws://app/assets/index.js'),
  },
  permissionGranted: permission,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
