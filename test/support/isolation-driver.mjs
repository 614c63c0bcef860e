// Runs the CLI end to end (demo, import, verify, search, export, report with a Chromium PDF, package,
// verify-package) and the browser-mode server, each under the net-guard preload, and prints one JSON line
// with what happened. test/integration/isolation.test.ts runs it inside a network namespace without
// interfaces (`unshare -n`) when it can, else directly; the guard watches either way.
//
// argv[2]: JSON {repo, work, log, decisions}. Only the requests this driver itself sends to the server
// (from outside the guarded processes) touch a socket on purpose.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const { repo, work, log, decisions } = JSON.parse(process.argv[2]);
const cli = path.join(repo, 'bin', 'audit-ws.mjs');
const guard = path.join(repo, 'test', 'support', 'net-guard.mjs');
const ws = path.join(work, 'ws');
const env = { ...process.env, AUDIT_WS_NET_LOG: log, AUDIT_WS_INVESTIGATOR: 'isolation-test', AUDIT_WS_WORKSPACE: ws };
delete env.HTTP_PROXY;
delete env.HTTPS_PROXY;
delete env.http_proxy;
delete env.https_proxy;

const result = {
  interfaces: fs
    .readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter((n) => n !== ''),
  steps: [],
};

function run(name, args) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', guard, cli, ...args], { env, encoding: 'utf8', timeout: 180_000 });
  const step = {
    name,
    args,
    status: r.status,
    signal: r.signal,
    ms: Date.now() - started,
    stdout: r.stdout.slice(-4000),
    stderr: r.stderr.slice(-4000),
  };
  result.steps.push(step);
  return step;
}

const demo = path.join(work, 'demo');
const out = path.join(work, 'out');
fs.mkdirSync(out, { recursive: true });
run('demo', ['demo', '--out', demo, '--decisions', String(decisions), '--days', '2']);
run('import', ['import', demo, '--case', 'Isolated', '--progress', 'none']);
run('verify', ['verify', '--case', 'Isolated', '--workers', '2']);
const search = run('search', ['search', '--case', 'Isolated', '--limit', '3', '--no-facets', '--json']);
let ids = [];
try {
  const parsed = JSON.parse(search.stdout);
  ids = (parsed.decisions ?? parsed.rows ?? parsed.items ?? []).map((d) => d.decisionId ?? d.decision_id);
} catch {
  // the search step's status and output say what went wrong
}
result.decisionIds = ids;
run('export', ['export', 'records', '--case', 'Isolated', '--out', path.join(out, 'records.csv')]);
run('report', ['report', '--case', 'Isolated', '--out', path.join(out, 'report'), '--format', 'pdf,html,json,csv']);
const pdf = path.join(out, 'report', 'report.pdf');
result.pdfHead = fs.existsSync(pdf) ? fs.readFileSync(pdf).subarray(0, 5).toString('latin1') : null;
const zip = path.join(out, 'package.zip');
run('package', [
  'package',
  '--case',
  'Isolated',
  '--decisions',
  ids.join(',') || 'none',
  '--report-format',
  'html,json',
  '--out',
  zip,
]);
run('verify-package', ['verify-package', zip]);

// Browser mode: the real `audit-ws serve`, asked by this driver over loopback.
const ui = path.join(work, 'ui');
fs.mkdirSync(ui, { recursive: true });
fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>isolation</title>');
result.server = await serve();

process.stdout.write(`${JSON.stringify(result)}\n`);

function request(port, { method = 'GET', pathname = '/', headers = {}, body, noHost = false }) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        setHost: !noHost,
        headers: noHost ? headers : { Host: `127.0.0.1:${port}`, ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end(body);
  });
}

async function serve() {
  const child = spawn(
    process.execPath,
    ['--import', guard, cli, 'serve', '--no-open', '--port', '0', '--renderer', ui],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const url = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 60_000);
    child.stdout.on('data', (c) => {
      stdout += c;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', () => resolve(undefined));
  });
  const answers = {};
  if (url) {
    const { port, searchParams } = new URL(url);
    const token = searchParams.get('token');
    const origin = `http://127.0.0.1:${port}`;
    const api = (method, params, headers = {}) =>
      request(port, {
        method: 'POST',
        pathname: `/api/${method}`,
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(params),
      });
    const auth = { 'x-audit-ws-token': token, Origin: origin };
    answers.info = await api('app.info', {}, auth);
    answers.cases = await api('cases.list', undefined, auth);
    answers.search = await api('query.search', { case: 'Isolated', limit: 2 }, auth);
    answers.inspect = await api('archive.inspect', { path: demo }, auth);
    answers.page = await request(port, { headers: { 'x-audit-ws-token': token } });
    answers.noToken = await api('app.info', {}, { Origin: origin });
    answers.wrongToken = await api('app.info', {}, { 'x-audit-ws-token': 'e'.repeat(64), Origin: origin });
    answers.otherOrigin = await api('app.info', {}, { ...auth, Origin: 'http://evil.example' });
    answers.otherHost = await api('app.info', {}, { 'x-audit-ws-token': token, Host: `evil.example:${port}` });
    answers.pageOtherHost = await request(port, { headers: { 'x-audit-ws-token': token, Host: 'evil.example' } });
    answers.noHost = await request(port, { headers: { 'x-audit-ws-token': token }, noHost: true });
    answers.pageNoToken = await request(port, {});
  }
  child.kill('SIGTERM');
  const exit = await new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { url: url ? url.replace(/token=[0-9a-f]+/, 'token=…') : null, answers, exit, stderr: stderr.slice(-2000) };
}
