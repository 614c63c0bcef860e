// Loads a built main process (argv[2]) against the Electron stub, exercises what it registered, prints JSON.
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

register(new URL('./electron-hooks.mjs', import.meta.url));
const { recorded } = await import('./electron-stub.mjs');
await import(pathToFileURL(process.argv[2]).href);
const workspace = process.env.AUDIT_WS_WORKSPACE;

const until = async (what, test, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
await until('the first window', () => recorded.windows.length > 0 && recorded.menu !== undefined);

const serve = recorded.protocolHandlers['audit-ws'];
const fetchApp = async (url) => {
  const response = await serve(new Request(url));
  return { status: response.status, csp: response.headers.get('content-security-policy'), body: await response.text() };
};
const cancelled = (url) =>
  new Promise((resolve) => recorded.session.beforeRequest({ url }, (answer) => resolve(answer.cancel === true)));
const permission = await new Promise((resolve) => recorded.session.permissionRequest(null, 'media', resolve));
const first = recorded.windows[0];
const APP = 'audit-ws://app/index.html';

/** A request from `from`'s page (or, with `sender`, a forged one from another window or frame). */
const ask = (window, channel, payload, { sender = window, url = APP } = {}) =>
  window.webContents.ipcHandlers[channel]({ sender: sender.webContents, senderFrame: { url } }, payload);
const contract = (window, method, params, options) => ask(window, 'contract', { method, params }, options);
const openCase = (window, hash) => ask(window, 'open-case', { hash });
const lockOf = (slug) => existsSync(path.join(workspace, 'cases', slug, 'case.lock'));
const summary = (w) => ({ id: w.id, url: w.loadedUrl, title: w.title, focused: w.focusCount, closed: w.destroyed });

const result = {
  sandboxEnabled: recorded.sandboxEnabled,
  privilegedSchemes: recorded.privilegedSchemes,
  webPreferences: { ...first.options.webPreferences, preload: first.options.webPreferences.preload.split('/').pop() },
  loadedUrl: first.loadedUrl,
  globalIpcHandlers: Object.keys(recorded.ipcHandlers),
  windowIpcHandlers: Object.keys(first.webContents.ipcHandlers).sort(),
  menu: recorded.menu.template.map((item) => item.label ?? item.role),
  fileMenu: recorded.menu.template[0].submenu.map((item) => item.label ?? item.role ?? item.type),
  index: await fetchApp('audit-ws://app/index.html'),
  traversal: await fetchApp('audit-ws://app/..%2f..%2fpackage.json'),
  otherHost: await fetchApp('audit-ws://elsewhere/index.html'),
  ipcFromApp: await contract(first, 'app.info', {}),
  ipcFromElsewhere: await contract(first, 'app.info', {}, { url: 'https://evil.example/' }),
  ipcMalformed: await ask(first, 'contract', 'app.info'),
  cancels: {
    remote: await cancelled('https://example.com/x.js'),
    file: await cancelled('file:///etc/passwd'),
    app: await cancelled('audit-ws://app/assets/index.js'),
  },
  permissionGranted: permission,
};

// One window per case.
const w = {};
w.createAlpha = await contract(first, 'cases.create', { name: 'Alpha' });
w.createBeta = await contract(first, 'cases.create', { name: 'Beta' });
w.unboundAsksAlpha = await contract(first, 'cases.get', { case: 'alpha' });
w.openAlphaHere = await openCase(first, '#/case/alpha/overview');
w.firstTitle = first.title;
w.alphaFromAlpha = await contract(first, 'cases.get', { case: 'Alpha' });
w.betaFromAlpha = await contract(first, 'cases.get', { case: 'beta' });
w.openBeta = await openCase(first, '#/case/beta/explorer?modelId=m1');
w.windowsAfterBeta = recorded.windows.map(summary);
const beta = recorded.windows[1];
w.openBetaAgain = await openCase(first, '#/case/beta/overview');
w.windowsAfterBetaAgain = recorded.windows.map(summary);
w.betaFromBeta = await contract(beta, 'cases.get', { case: 'beta' });
w.betaLockedWhileOpen = lockOf('beta');
w.forgedSender = await contract(beta, 'cases.get', { case: 'beta' }, { sender: first });
w.badHash = await ask(first, 'open-case', { hash: 'https://evil.example/#/case/beta' });
w.deleteBetaFromAlpha = await contract(first, 'cases.delete', { case: 'beta' });
beta.close();
await until('beta released', () => !lockOf('beta'));
w.betaLockedAfterClose = lockOf('beta');
w.reopenBeta = await openCase(first, '#/case/beta/overview');
w.windowCountAfterReopen = recorded.windows.length;
w.reopenedUrl = recorded.windows.at(-1).loadedUrl;

// File > Open case… with a folder that is not a case, then with a case folder (its window exists: focused).
const fileMenu = recorded.menu.template[0].submenu;
const openCaseItem = fileMenu.find((item) => item.label === 'Open case…');
recorded.openDialogAnswers.push({ canceled: false, filePaths: [workspace] });
await openCaseItem.click();
await until('the error box', () => recorded.dialogs.some((d) => d.kind === 'message'));
w.notACase = recorded.dialogs.find((d) => d.kind === 'message').options.message;
const alphaFocusBefore = first.focusCount;
recorded.openDialogAnswers.push({ canceled: false, filePaths: [path.join(workspace, 'cases', 'alpha')] });
await openCaseItem.click();
await until('alpha focused', () => first.focusCount > alphaFocusBefore);
w.openCaseDialog = recorded.dialogs.find((d) => d.kind === 'open').options;
w.openCaseFocusedAlpha = first.focusCount > alphaFocusBefore;
w.windowCountAfterMenu = recorded.windows.length;
result.windows = w;

// The report's PDF is printed by Electron (printToPDF) through the contract, not by playwright-core.
const started = await contract(first, 'report.start', { case: 'alpha', formats: ['pdf', 'html'] });
let job = started.result;
while (job && job.state === 'running') {
  job = (await contract(first, 'jobs.get', { id: job.id, afterVersion: job.version, waitMs: 5000 })).result;
}
const outDir = job?.result?.outDir;
const printer = recorded.windows.find((x) => x.options.webPreferences.javascript === false);
result.report = {
  state: job?.state,
  error: job?.error,
  pdf: outDir ? readFileSync(path.join(outDir, 'report.pdf'), 'utf8') : undefined,
  printed: recorded.printed,
  printerWindow: printer && {
    show: printer.options.show,
    webPreferences: { ...printer.options.webPreferences, session: undefined },
    destroyed: printer.destroyed,
    preload: printer.options.webPreferences.preload,
  },
  partitions: Object.fromEntries(Object.entries(recorded.partitions).map(([k, v]) => [k, v.options])),
  printedFileGone: recorded.printed[0] ? !existsSync(new URL(recorded.printed[0].url)) : undefined,
};

// Fuzzing the IPC handlers themselves (issue 8): the sender and frame checks and the payload parsing in
// main/windows.ts, before the dispatcher, which test/fuzz/contract.test.ts fuzzes on its own. Payloads of any
// shape, from this window's page, from another page URL, from another window, from a frame with no URL. Every
// call must resolve to one plain answer; only this window's own app page may get anything but a refusal.
// Run last: valid requests may change the workspace.
const fc = (await import('fast-check')).default;
const METHODS = ['app.info', 'cases.list', 'cases.get', 'records.get', 'query.search', 'jobs.get', 'verify.start'];
const payload = fc.oneof(
  fc.anything(),
  fc.record({ method: fc.oneof(fc.constantFrom(...METHODS), fc.string()), params: fc.anything() }),
  fc.record({ method: fc.constantFrom(...METHODS), params: fc.dictionary(fc.string(), fc.jsonValue()) }),
  fc.record({ hash: fc.oneof(fc.string(), fc.webUrl(), fc.constant('#/case/alpha')) }),
);
const payloads = fc.sample(payload, { numRuns: 150, seed: 20261124 });
const foreignUrls = fc.sample(fc.oneof(fc.webUrl(), fc.string(), fc.constant('audit-ws://elsewhere/index.html')), {
  numRuns: 150,
  seed: 7,
});
const other = recorded.windows.find((x) => x !== first && !x.destroyed && x.webContents.ipcHandlers?.contract);
const senders = [
  { name: 'app page', options: {}, mayAnswer: true },
  { name: 'another page', options: (i) => ({ url: foreignUrls[i] === APP ? 'https://x.example/' : foreignUrls[i] }) },
  ...(other ? [{ name: 'another window', options: { sender: other } }] : []),
  { name: 'no frame URL', options: { url: '' } },
];
const fuzz = { calls: 0, refused: 0, answered: 0, thrown: [], badShape: [], foreignAnswered: [] };
const plain = (answer) =>
  answer !== null &&
  typeof answer === 'object' &&
  typeof answer.ok === 'boolean' &&
  (answer.ok || (typeof answer.code === 'string' && typeof answer.message === 'string')) &&
  JSON.stringify(JSON.parse(JSON.stringify(answer))) === JSON.stringify(answer);
for (const [i, body] of payloads.entries()) {
  for (const sender of senders) {
    const options = typeof sender.options === 'function' ? sender.options(i) : sender.options;
    for (const channel of ['contract', 'open-case']) {
      fuzz.calls++;
      let answer;
      try {
        answer = await Promise.race([
          ask(first, channel, body, options),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000)),
        ]);
      } catch (err) {
        if (fuzz.thrown.length < 5) fuzz.thrown.push({ channel, sender: sender.name, error: String(err) });
        continue;
      }
      if (channel === 'contract' && !plain(answer)) {
        if (fuzz.badShape.length < 5) fuzz.badShape.push({ sender: sender.name, answer: String(answer) });
        continue;
      }
      const refused = answer?.ok === false && /request refused/.test(String(answer.message));
      if (refused) fuzz.refused++;
      else fuzz.answered++;
      if (!sender.mayAnswer && !refused && fuzz.foreignAnswered.length < 5)
        fuzz.foreignAnswered.push({ channel, sender: sender.name, answer });
    }
  }
}
result.ipcFuzz = fuzz;

process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
