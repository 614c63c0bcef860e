import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectArchive } from '../../src/archive/inspect.ts';
import { createDispatcher, isMethod } from '../../src/contract/dispatcher.ts';
import { handlers } from '../../src/contract/handlers/index.ts';
import { toPlainJson } from '../../src/contract/plain-json.ts';
import type { HandlerTable } from '../../src/contract/types.ts';
import { demoLocation, ensureDemoArchive, resolveWorkspace } from '../../src/contract/workspace.ts';
import { AuditWsError } from '../../src/errors.ts';
import { TOOL_VERSION } from '../../src/version.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-contract-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('toPlainJson', () => {
  it('turns bigints into exact decimal strings', () => {
    expect(toPlainJson({ seq: 2n ** 64n + 1n, small: 7n })).toEqual({ seq: '18446744073709551617', small: '7' });
  });

  it('turns dates, bytes, maps and sets into JSON', () => {
    const value = {
      at: new Date('2026-03-01T12:00:00Z'),
      hash: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      view: new Uint8Array([1, 2, 255]).subarray(1),
      counts: new Map<string, bigint>([['decision', 3n]]),
      kinds: new Set(['decision', 'review']),
    };
    expect(toPlainJson(value)).toEqual({
      at: '2026-03-01T12:00:00.000Z',
      hash: 'deadbeef',
      view: '02ff',
      counts: { decision: '3' },
      kinds: ['decision', 'review'],
    });
  });

  it('follows JSON.stringify for undefined, functions and non-finite numbers', () => {
    const value = { a: undefined, f: () => 1, n: Number.NaN, i: Infinity, list: [undefined, 1, () => 2], ok: true };
    const plain = toPlainJson(value);
    expect(plain).toEqual({ n: null, i: null, list: [null, 1, null], ok: true });
    expect(plain).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('keeps a member named __proto__ as data, not as a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as object;
    const plain = toPlainJson(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.hasOwn(plain, '__proto__')).toBe(true);
    expect((plain as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('uses toJSON like JSON.stringify does', () => {
    expect(toPlainJson({ v: { toJSON: () => ({ big: 5n }) } })).toEqual({ v: { big: '5' } });
  });

  it('refuses cycles with INTERNAL naming the place', () => {
    const loop: Record<string, unknown> = { a: { b: [] as unknown[] } };
    ((loop.a as { b: unknown[] }).b as unknown[]).push(loop);
    expect(() => toPlainJson(loop)).toThrowError(AuditWsError);
    expect(() => toPlainJson(loop)).toThrowError(/\$\.a\.b\[0\]/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { n: 1n };
    expect(toPlainJson({ a: shared, b: shared })).toEqual({ a: { n: '1' }, b: { n: '1' } });
  });

  it('gives values that survive both transports unchanged', () => {
    const plain = toPlainJson({ a: [1, 'x', { b: 10n, c: null }], d: new Date(0) });
    expect(JSON.parse(JSON.stringify(plain))).toEqual(plain);
    expect(structuredClone(plain)).toEqual(plain);
  });
});

describe('dispatcher', () => {
  const workspace = tempDir();
  const dispatcher = createDispatcher({ mode: 'browser', workspace });

  it('answers app.info with the mode, version and workspace', async () => {
    expect(await dispatcher.handle('app.info', {})).toEqual({
      ok: true,
      result: { toolName: 'audit-ws', toolVersion: TOOL_VERSION, mode: 'browser', workspace },
    });
    expect(await dispatcher.handle('app.info', undefined)).toMatchObject({ ok: true });
  });

  it.each(['nope.verb', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'refuses the unknown request %j without reaching Object.prototype',
    async (method) => {
      const response = await dispatcher.handle(method, {});
      expect(response).toMatchObject({ ok: false, code: 'BAD_USAGE' });
      expect(isMethod(method)).toBe(false);
    },
  );

  it('refuses a non-string method', async () => {
    expect(await dispatcher.handle(42 as unknown as string, {})).toMatchObject({ ok: false, code: 'BAD_USAGE' });
  });

  it.each([
    ['app.info', { extra: 1 }, /unknown member "extra"/],
    ['app.info', [1], /params must be a JSON object/],
    ['app.info', 'text', /params must be a JSON object/],
    ['archive.inspect', {}, /"path" must be a non-empty string/],
    ['archive.inspect', { path: 7 }, /"path" must be a non-empty string/],
    ['archive.inspect', { path: '' }, /"path" must be a non-empty string/],
    ['archive.inspect', { path: 'relative/archive' }, /"path" must be an absolute path/],
    ['archive.inspect', { path: '/tmp/a\0b' }, /NUL/],
    ['archive.inspect', { path: '/tmp/x', deep: true }, /unknown member "deep"/],
    ['demo.describe', { x: 1 }, /unknown member "x"/],
  ])('refuses %s with params %j', async (method, params, message) => {
    const response = await dispatcher.handle(method, params);
    expect(response.ok).toBe(false);
    if (response.ok) return;
    expect(response.code).toBe('BAD_USAGE');
    expect(response.message).toMatch(message);
    expect(response.message.startsWith(`${method}:`)).toBe(true);
    expect(response.details.method).toBe(method);
  });

  it('refuses a path longer than 4096 characters', async () => {
    const response = await dispatcher.handle('archive.inspect', { path: '/x'.repeat(3000) });
    expect(response).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    if (!response.ok) expect(response.message).toMatch(/"path" is longer than 4096 characters/);
  });

  it('inspects the spec example archive and returns exactly the plain report', async () => {
    const response = await dispatcher.handle('archive.inspect', { path: EXAMPLE });
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect(response.result).toEqual(toPlainJson(await inspectArchive(EXAMPLE)));
    const report = response.result as Awaited<ReturnType<typeof inspectArchive>>;
    expect(report.streams.map((s) => s.name)).toEqual(['decisions', 'lifecycle', 'outcomes', 'reviews']);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports a missing archive as an error payload naming the path, not a throw', async () => {
    const missing = path.join(workspace, 'no-such-archive');
    const response = await dispatcher.handle('archive.inspect', { path: missing });
    expect(response.ok).toBe(false);
    if (response.ok) return;
    expect(response.code).not.toBe('INTERNAL');
    expect(response.message).toContain('no-such-archive');
  });

  it('turns a failing handler into INTERNAL with its message, and converts results to plain JSON', async () => {
    const failing: HandlerTable = {
      ...handlers,
      'app.info': {
        parse: handlers['app.info'].parse,
        run: async () => {
          throw new Error('disk on fire');
        },
      },
      'demo.describe': {
        parse: handlers['demo.describe'].parse,
        run: async () => ({ path: '/w/demo', exists: true, summary: { records: 3n } as never }),
      },
    };
    const custom = createDispatcher({ mode: 'electron', workspace }, failing);
    expect(await custom.handle('app.info', {})).toEqual({
      ok: false,
      code: 'INTERNAL',
      message: 'disk on fire',
      details: {},
    });
    expect(await custom.handle('demo.describe', {})).toEqual({
      ok: true,
      result: { path: '/w/demo', exists: true, summary: { records: '3' } },
    });
  });
});

describe('workspace and demo archive', () => {
  it('uses AUDIT_WS_WORKSPACE first, then the OS application-data folder', () => {
    expect(resolveWorkspace({ AUDIT_WS_WORKSPACE: '/data/ws' }, 'linux', '/home/a')).toBe(path.resolve('/data/ws'));
    expect(resolveWorkspace({}, 'linux', '/home/a')).toBe('/home/a/.local/share/ai-audit-workstation');
    expect(resolveWorkspace({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/xdg/ai-audit-workstation');
    expect(resolveWorkspace({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/a')).toBe(
      '/home/a/.local/share/ai-audit-workstation',
    );
    expect(resolveWorkspace({}, 'darwin', '/Users/a')).toBe(
      '/Users/a/Library/Application Support/ai-audit-workstation',
    );
    expect(resolveWorkspace({ APPDATA: '/appdata' }, 'win32', '/home/a')).toBe(
      path.join('/appdata', 'ai-audit-workstation'),
    );
  });

  it('describes a missing demo, generates it once, and then describes it', async () => {
    const workspace = tempDir();
    const dispatcher = createDispatcher({ mode: 'browser', workspace });
    const before = await dispatcher.handle('demo.describe', {});
    expect(before).toEqual({ ok: true, result: { path: demoLocation(workspace).archive, exists: false } });

    const created = await ensureDemoArchive(workspace, { decisions: 100, days: 2, seed: 7 });
    expect(created.created).toBe(true);
    expect(created.exists).toBe(true);
    expect(created.summary?.out).toBe(created.path); // not the staging folder it was written to
    expect(readdirSync(path.dirname(created.path)).sort()).toEqual(['archive', 'summary.json']);

    const after = await dispatcher.handle('demo.describe', {});
    expect(after).toEqual({ ok: true, result: { path: created.path, exists: true, summary: created.summary } });

    const stamp = statSync(demoLocation(workspace).summary).mtimeMs;
    const again = await ensureDemoArchive(workspace, { decisions: 100, days: 2, seed: 7 });
    expect(again.created).toBe(false);
    expect(statSync(demoLocation(workspace).summary).mtimeMs).toBe(stamp);

    const inspected = await dispatcher.handle('archive.inspect', { path: created.path });
    expect(inspected.ok).toBe(true);
  });

  it('regenerates when an earlier run stopped before writing the summary', async () => {
    const workspace = tempDir();
    const where = demoLocation(workspace);
    const first = await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 1 });
    rmSync(where.summary);
    const second = await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 1 });
    expect(second.created).toBe(true);
    expect(second.summary).toEqual(first.summary);
    expect(existsSync(where.archive)).toBe(true);
  });

  it('reports a corrupt summary file with its path', async () => {
    const workspace = tempDir();
    const where = demoLocation(workspace);
    await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 1 });
    writeFileSync(where.summary, '{not json');
    const response = await createDispatcher({ mode: 'browser', workspace }).handle('demo.describe', {});
    expect(response).toMatchObject({ ok: false, code: 'UNREADABLE_INPUT' });
    if (!response.ok) expect(response.message).toContain(where.summary);
  });
});
