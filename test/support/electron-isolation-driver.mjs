// Runs the Electron main process from source (main/main.ts through tsx) against the Electron stub of the e2e
// tests, in plain Node, then asks the navigation and window rules it installed on every web contents what they
// do with app pages, remote pages, file: URLs, new windows and <webview>. Prints one JSON line.
// Run under test/support/net-guard.mjs by test/integration/isolation-electron.test.ts, which also checks that
// starting the shell attempted no network access.
import { register } from 'node:module';

register(new URL('../e2e/support/electron-hooks.mjs', import.meta.url));
const { register: registerTsx } = await import('tsx/esm/api');
registerTsx();
globalThis.MAIN_WINDOW_VITE_DEV_SERVER_URL = undefined;
globalThis.MAIN_WINDOW_VITE_NAME = 'main_window';
const { recorded } = await import('../e2e/support/electron-stub.mjs');
await import('../../main/main.ts');

const deadline = Date.now() + 60_000;
while (recorded.windows.length === 0) {
  if (Date.now() > deadline) throw new Error('the main process created no window within 60 s');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A web contents as the shell sees it in 'web-contents-created': records what it registers. */
function fakeContents() {
  const handlers = {};
  return {
    handlers,
    on(event, fn) {
      handlers[event] = fn;
      return this;
    },
    once(event, fn) {
      handlers[event] = fn;
      return this;
    },
    setWindowOpenHandler(fn) {
      handlers.windowOpen = fn;
    },
  };
}

const created = recorded.appListeners['web-contents-created'];
const contents = fakeContents();
if (created) created({}, contents);

function prevented(event, url) {
  const handler = contents.handlers[event];
  if (!handler) return 'no handler';
  let result = false;
  handler({ preventDefault: () => (result = true) }, url);
  return result;
}

const urls = [
  'audit-ws://app/index.html#/case/x',
  'https://evil.example/',
  'http://127.0.0.1:8080/',
  'file:///etc/passwd',
  'audit-ws://elsewhere/index.html',
];
const result = {
  hasWebContentsRules: typeof created === 'function',
  navigate: Object.fromEntries(urls.map((u) => [u, prevented('will-navigate', u)])),
  redirect: Object.fromEntries(urls.map((u) => [u, prevented('will-redirect', u)])),
  attachWebview: prevented('will-attach-webview', undefined),
  windowOpen: contents.handlers.windowOpen ? urls.map((url) => contents.handlers.windowOpen({ url })) : 'no handler',
  webPreferences: recorded.windows.map((w) => {
    const { preload, ...rest } = w.options.webPreferences ?? {};
    return { ...rest, preload: typeof preload === 'string' ? preload.split(/[\\/]/).pop() : preload };
  }),
  sandboxEnabled: recorded.sandboxEnabled,
  cancels: recorded.session.beforeRequest
    ? await Promise.all(
        ['https://example.com/x.js', 'http://127.0.0.1:1/', 'file:///etc/passwd', 'audit-ws://app/assets/x.js'].map(
          (url) =>
            new Promise((resolve) => recorded.session.beforeRequest({ url }, (a) => resolve([url, a.cancel === true]))),
        ),
      )
    : 'no filter',
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
