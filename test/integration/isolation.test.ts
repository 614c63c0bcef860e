// Isolation: the CLI (demo, import, verify, search, export, report with a Chromium PDF, package,
// verify-package) and the browser-mode server work with no network at all and attempt none.
//  - Inside a network namespace whose only interface is loopback (`unshare -n`), so nothing *can* leave;
//    skipped, with the reason printed, where no namespace can be made.
//  - Under test/support/net-guard.mjs, a preload in every CLI process and worker thread that records (and
//    refuses) every connect, DNS look-up, UDP send, fetch/http(s) request and non-loopback listen, so an
//    attempt fails the test even where the namespace would have silently absorbed it.
// Chromium's own traffic is outside the preload's reach: the namespace is what contains it (and pdf.ts
// aborts every request of the page).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkAttempts, readGuardLog } from '../support/net-log.ts';
import type { GuardEntry } from '../support/net-log.ts';
import { networkNamespace } from '../support/privileged.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = path.join(REPO, 'test/support/isolation-driver.mjs');
const GUARD = path.join(REPO, 'test/support/net-guard.mjs');

interface Step {
  name: string;
  status: number | null;
  signal: string | null;
  ms: number;
  stdout: string;
  stderr: string;
}
interface Answer {
  status: number;
  body?: string;
  error?: string;
}
interface DriverResult {
  interfaces: string[];
  steps: Step[];
  decisionIds: string[];
  pdfHead: string | null;
  server: {
    url: string | null;
    answers: Record<string, Answer>;
    exit: { code: number | null; signal: string | null };
    stderr: string;
  };
}
const namespace = networkNamespace();
let work: string;
let result: DriverResult;
let entries: GuardEntry[];
let driverOutput = '';

function step(name: string): Step {
  const s = result.steps.find((x) => x.name === name);
  if (!s) throw new Error(`the driver did not run ${name}: ${driverOutput.slice(-2000)}`);
  return s;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-ws-isolation-'));
  const log = path.join(work, 'net.log');
  const config = JSON.stringify({ repo: REPO, work, log, decisions: 200 });
  const command = namespace.ok
    ? [...namespace.value, process.execPath, DRIVER, config]
    : [process.execPath, DRIVER, config];
  if (!namespace.ok)
    console.warn(`isolation: no network namespace (${namespace.reason}); running under the guard only`);
  const [cmd, ...args] = command;
  const env = { ...process.env };
  delete env.AUDIT_WS_WORKSPACE;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (driverOutput += c.toString()));
    child.stderr.on('data', (c: Buffer) => (driverOutput += c.toString()));
    child.on('exit', (c) => resolve(c));
  });
  const last = driverOutput.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`isolation driver failed (exit ${code}): ${driverOutput}`);
  result = JSON.parse(last) as DriverResult;
  entries = readGuardLog(log);
}, 400_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('isolation: no network', () => {
  it('runs every CLI step to completion', () => {
    for (const name of ['demo', 'import', 'verify', 'search', 'export', 'report', 'package', 'verify-package']) {
      const s = step(name);
      expect({ name, status: s.status, signal: s.signal, stderr: s.status === 0 ? '' : s.stderr }).toEqual({
        name,
        status: 0,
        signal: null,
        stderr: '',
      });
    }
    expect(step('verify').stdout).toContain('Run #1 saved in the case');
    expect(result.decisionIds).toHaveLength(3);
    expect(result.pdfHead).toBe('%PDF-');
    expect(step('package').stdout).toContain('Evidence package written to');
    expect(step('verify-package').stdout).toMatch(/intact|verified/i);
  });

  it('serves the browser UI and its API on loopback to a request with the token', () => {
    const a = result.server.answers;
    expect(result.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(a.info.status).toBe(200);
    expect(JSON.parse(a.info.body ?? '{}')).toMatchObject({ ok: true, result: { mode: 'browser' } });
    expect(JSON.parse(a.cases.body ?? '{}')).toMatchObject({ ok: true, result: { cases: [{ name: 'Isolated' }] } });
    expect(JSON.parse(a.search.body ?? '{}')).toMatchObject({ ok: true, result: { total: 200 } });
    expect(JSON.parse(a.inspect.body ?? '{}')).toMatchObject({ ok: true });
    expect(a.page.status).toBe(200);
    expect(result.server.exit.code === 0 || result.server.exit.signal === 'SIGTERM').toBe(true);
  });

  it('the real server refuses no token, a wrong token, another Origin, another or no Host', () => {
    const a = result.server.answers;
    expect([a.noToken.status, a.wrongToken.status]).toEqual([401, 401]);
    expect([a.otherOrigin.status, a.otherHost.status, a.pageOtherHost.status]).toEqual([403, 403, 403]);
    // Without a Host header Node's HTTP parser answers 400 before the request reaches the server's checks.
    expect(a.noHost.status).toBe(400);
    expect(a.noHost.body ?? '').not.toContain('"result"');
    expect(a.pageNoToken.status).toBe(401);
    for (const refused of [a.noToken, a.wrongToken, a.otherOrigin, a.otherHost]) {
      expect(JSON.parse(refused.body ?? '{}')).toMatchObject({ ok: false });
      expect(refused.body).not.toContain('"result"');
    }
  });

  it('no CLI process, worker thread or the server attempted any network access', () => {
    const loaded = entries.filter((e) => e.kind === 'loaded');
    // The guard was really there: in each of the 9 processes, and in the scan workers of `verify --workers 2`.
    expect(new Set(loaded.filter((e) => e.main).map((e) => e.pid)).size).toBe(9);
    expect(loaded.some((e) => e.main === false)).toBe(true);
    const listens = entries.filter((e) => e.kind === 'listen');
    expect(listens).toEqual([expect.objectContaining({ allowed: true, host: '127.0.0.1' })]);
    expect(networkAttempts(entries)).toEqual([]);
  });

  it('ran inside a network namespace whose only interface is loopback', (ctx) => {
    if (!namespace.ok) {
      console.warn(`SKIPPED isolation namespace check: ${namespace.reason}`);
      ctx.skip(namespace.reason);
    }
    expect(result.interfaces).toEqual(['lo']);
  });
});

describe('the network guard itself', () => {
  it('records and refuses connect, DNS, fetch, http, UDP and a listen on every interface', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-ws-guard-'));
    try {
      const log = path.join(dir, 'net.log');
      const probe = path.join(dir, 'probe.mjs');
      fs.writeFileSync(
        probe,
        `import net from 'node:net'; import dns from 'node:dns'; import http from 'node:http'; import dgram from 'node:dgram';
         const out = [];
         await new Promise((r) => net.connect(80, '192.0.2.1').on('error', (e) => { out.push(e.code); r(); }));
         await new Promise((r) => dns.lookup('example.invalid', (e) => { out.push(e.code); r(); }));
         await dns.promises.resolve4('example.invalid').catch((e) => out.push(e.code));
         await fetch('http://192.0.2.1/').catch((e) => out.push(e.code));
         try { http.get('http://192.0.2.1/'); } catch (e) { out.push(e.code); }
         try { dgram.createSocket('udp4').send('x', 53, '192.0.2.1'); } catch (e) { out.push(e.code); }
         try { http.createServer().listen(0); } catch (e) { out.push(e.code); }
         const s = http.createServer(); await new Promise((r) => s.listen(0, '127.0.0.1', r)); s.close();
         console.log(JSON.stringify(out));`,
      );
      const r = spawnSync(process.execPath, ['--import', GUARD, probe], {
        env: { ...process.env, AUDIT_WS_NET_LOG: log },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(Array(7).fill('ENETUNREACH'));
      expect(readGuardLog(log).map((e) => (e.allowed ? `${e.kind} allowed` : e.kind))).toEqual([
        'loaded',
        'connect',
        'dns.lookup',
        'dns.promises.resolve4',
        'fetch',
        'http.get',
        'udp.send',
        'listen',
        'listen allowed',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
