// `npm start` (bin/start.mjs) where the desktop app cannot start: it must start browser mode on the demo case and
// say why, in a sentence that also says how to get the desktop app. Run as a real child process with a temporary
// workspace; the UI is a prebuilt stand-in passed with --renderer, so the test does not rebuild dist/renderer.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;
let ui: string;
const children: ChildProcess[] = [];

/** Whether this installation has the Electron binary (then only AUDIT_WS_BROWSER_MODE=1 gives browser mode). */
function electronInstalled(): boolean {
  try {
    return typeof createRequire(import.meta.url)('electron') === 'string';
  } catch {
    return false;
  }
}

/** Starts `npm start` (the script itself) and resolves with its output once it printed the address. */
function start(workspace: string, env: Record<string, string> = {}): Promise<{ out: string; url: string }> {
  const child = spawn(process.execPath, ['bin/start.mjs', '--no-open', '--port', '0', '--renderer', ui], {
    cwd: repoRoot,
    env: { ...process.env, AUDIT_WS_WORKSPACE: workspace, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no address within 60 s; output:\n${out}`)), 60_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ out, url });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`npm start ended (${code}) before printing an address:\n${out}`)));
  });
}

/** A contract request through the started server, with this run's token. */
async function api(url: string, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  const u = new URL(url);
  const res = await fetch(`${u.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-audit-ws-token': u.searchParams.get('token') ?? '' },
    body: JSON.stringify(params),
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-start-'));
  ui = path.join(tmp, 'ui');
  mkdirSync(ui);
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>stand-in UI</title><div id="root"></div>');
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm start without the desktop app', () => {
  it('starts browser mode on the demo case and says why', async () => {
    const workspace = path.join(tmp, 'ws-1');
    // A small demo archive made beforehand, so the test does not wait for the default-size one.
    const demo = await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 4 });
    const env: Record<string, string> = electronInstalled() ? { AUDIT_WS_BROWSER_MODE: '1' } : {};
    const { out, url } = await start(workspace, env);
    expect(out).toContain(`Demo archive: ${demo.path}`);
    expect(out).toContain('Starting browser mode instead of the desktop app: ');
    if (electronInstalled()) expect(out).toContain('AUDIT_WS_BROWSER_MODE=1');
    else {
      expect(out).toContain('the Electron binary is not installed');
      expect(out).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD=1');
      expect(out).toContain('node node_modules/electron/install.js');
    }
    expect(out).toContain('it opens on the demo case');
    expect(out).toContain(`Workspace: ${workspace}`);
    expect(out).not.toContain('Building the UI');
    // The server answers as browser mode, on this workspace, with the demo archive ready for the UI's first start.
    expect(await api(url, 'app.info')).toMatchObject({ ok: true, result: { mode: 'browser', workspace } });
    expect(await api(url, 'demo.describe')).toMatchObject({ ok: true, result: { exists: true, path: demo.path } });
  }, 90_000);

  it('says so when browser mode is asked for', async () => {
    const workspace = path.join(tmp, 'ws-2');
    await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 4 });
    const { out } = await start(workspace, { AUDIT_WS_BROWSER_MODE: '1' });
    expect(out).toContain(
      'Starting browser mode instead of the desktop app: AUDIT_WS_BROWSER_MODE=1 is set, which asks for browser mode.',
    );
  }, 90_000);
});
