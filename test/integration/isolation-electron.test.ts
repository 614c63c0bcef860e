// The Electron shell, run from source against the e2e tests' Electron stub (the Electron binary is not needed):
// starting it attempts no network access (watched by test/support/net-guard.mjs), and the rules it puts on
// every web contents keep the UI on the app: navigation and redirects away are prevented, new windows denied,
// <webview> refused, requests other than the app's own cancelled, and every window gets the locked-down
// preferences. (test/e2e/electron-main.test.ts checks the Forge-built bundle; this checks the rules
// test/e2e does not exercise, from source, in a few seconds.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';
import { networkAttempts, readGuardLog } from '../support/net-log.ts';
import type { GuardEntry } from '../support/net-log.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface ShellResult {
  hasWebContentsRules: boolean;
  navigate: Record<string, boolean | string>;
  redirect: Record<string, boolean | string>;
  attachWebview: boolean | string;
  windowOpen: { action: string }[] | string;
  webPreferences: Record<string, unknown>[];
  sandboxEnabled: boolean;
  cancels: [string, boolean][] | string;
}

let workspace: string;
let result: ShellResult;
let entries: GuardEntry[];

beforeAll(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-ws-isolation-electron-'));
  await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 3 });
  const log = path.join(workspace, 'net.log');
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      path.join(REPO, 'test/support/net-guard.mjs'),
      path.join(REPO, 'test/support/electron-isolation-driver.mjs'),
    ],
    {
      env: { ...process.env, AUDIT_WS_WORKSPACE: workspace, AUDIT_WS_NET_LOG: log },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`the shell driver failed (${r.status}): ${r.stderr}`);
  result = JSON.parse(last) as ShellResult;
  entries = readGuardLog(log);
}, 180_000);

afterAll(() => {
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

describe('Electron shell isolation', () => {
  it('starts without any network attempt', () => {
    expect(entries.filter((e) => e.kind === 'loaded' && e.main)).toHaveLength(1);
    expect(networkAttempts(entries)).toEqual([]);
  });

  it('keeps every web contents on the app: navigation, redirects, new windows, <webview>', () => {
    expect(result.hasWebContentsRules).toBe(true);
    const away = {
      'audit-ws://app/index.html#/case/x': false,
      'https://evil.example/': true,
      'http://127.0.0.1:8080/': true,
      'file:///etc/passwd': true,
      'audit-ws://elsewhere/index.html': true,
    };
    expect(result.navigate).toEqual(away);
    expect(result.redirect).toEqual(away);
    expect(result.attachWebview).toBe(true);
    expect(result.windowOpen).toEqual(Array(5).fill({ action: 'deny' }));
  });

  it('locks down every window and cancels every request but the app', () => {
    expect(result.sandboxEnabled).toBe(true);
    expect(result.webPreferences.length).toBeGreaterThan(0);
    for (const prefs of result.webPreferences) {
      expect(prefs).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        preload: 'preload.js',
      });
      expect(prefs.nodeIntegrationInWorker ?? false).toBe(false);
      expect(prefs.allowRunningInsecureContent ?? false).toBe(false);
      expect(prefs.webviewTag ?? false).toBe(false);
    }
    expect(result.cancels).toEqual([
      ['https://example.com/x.js', true],
      ['http://127.0.0.1:1/', true],
      ['file:///etc/passwd', true],
      ['audit-ws://app/assets/x.js', false],
    ]);
  });
});
