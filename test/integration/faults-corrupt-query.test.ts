// Damage to evidence.duckdb beyond its headers is found only when a query reads the damaged block (DuckDB checks
// a block's checksum when it loads it): the case opens, and a later search fails. That error must name the
// case's evidence.duckdb and say what to do, as a damaged file found on opening does, on both the contract
// (what the UI and browser mode call) and the CLI.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainCaseError } from '../../src/case/store.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { AuditWsError } from '../../src/errors.ts';
import { buildLookups } from '../../src/query/lookups.ts';
import { cli, importedCase, removeTempDirs, tempDir } from './faults-helpers.ts';

const CASE = 'Damaged later';
const ADVICE = 'restore the case folder from a backup';
/** DuckDB's layout: three 4 KB headers, then 256 KB blocks, each starting with its checksum. */
const HEADERS = 12288;
const BLOCK = 262144;

let base: string;
let template: string;
let slug: string;
let blocks: number;

function overwrite(file: string, offset: number, length: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** A copy of the case with 64 bytes in the middle of evidence block `b` overwritten; returns the workspace. */
function damagedCopy(name: string, b: number): { ws: string; file: string } {
  const ws = path.join(base, name);
  fs.cpSync(template, ws, { recursive: true });
  const file = path.join(ws, 'cases', slug, 'evidence.duckdb');
  overwrite(file, HEADERS + b * BLOCK + BLOCK / 2, 64);
  return { ws, file };
}

beforeAll(async () => {
  base = tempDir('audit-ws-faults-corrupt-query-');
  const archive = path.join(base, 'archive');
  await generateDemoArchive({ out: archive, decisions: 800, days: 2, seed: 11 });
  template = path.join(base, 'template');
  const made = await importedCase(template, CASE, [archive], async (h) => {
    await buildLookups(h.duck);
  });
  slug = path.basename(made);
  blocks = Math.floor((fs.statSync(path.join(template, 'cases', slug, 'evidence.duckdb')).size - HEADERS) / BLOCK);
  expect(blocks).toBeGreaterThan(1);
}, 180_000);

afterAll(removeTempDirs);

/** A search that reads every decision's text (and so every block holding decisions). */
const SEARCH = { case: CASE, text: 'no decision says this', limit: 5 };

describe('DuckDB block damage found by a query', () => {
  let damagedBlock = -1;

  it('the contract names evidence.duckdb and what to do (the case opened fine before)', async () => {
    const seen: string[] = [];
    for (let b = 0; b < blocks && damagedBlock < 0; b++) {
      const { ws, file } = damagedCopy(`contract-${b}`, b);
      const context = { mode: 'browser' as const, workspace: ws };
      const dispatcher = createDispatcher(context);
      try {
        // Opens the case (and its evidence) without reading the decisions.
        const opened = await dispatcher.handle('verify.latest', { case: CASE });
        if (!opened.ok) {
          seen.push(`block ${b}: refused on opening: ${opened.message}`);
          continue;
        }
        const r = await dispatcher.handle('query.search', SEARCH);
        if (r.ok) {
          seen.push(`block ${b}: not read by the search`);
          continue;
        }
        damagedBlock = b;
        expect(r.code, r.message).toBe('UNREADABLE_INPUT');
        expect(r.message.startsWith(`${file}: the evidence database cannot be read (`), r.message).toBe(true);
        expect(r.message).toContain(ADVICE);
        expect(r.message).toMatch(/checksum/);
        expect(r.details).toMatchObject({ file, reason: 'damaged' });
      } finally {
        await closeSessions();
      }
    }
    expect(damagedBlock, seen.join('\n')).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('the CLI says the same in one sentence, exit 2', async () => {
    expect(damagedBlock).toBeGreaterThanOrEqual(0);
    const { ws, file } = damagedCopy('cli', damagedBlock);
    const r = await cli(['search', '--case', CASE, '--text', SEARCH.text, '--limit', '5', '--workspace', ws]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.startsWith(`audit-ws: ${file}: the evidence database cannot be read (`), r.stderr).toBe(true);
    expect(r.stderr).toContain(ADVICE);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('other errors pass unchanged; a damaged page of case.sqlite found later names case.sqlite', () => {
    const dir = path.join(base, 'some-case');
    const plain = new Error('Binder Error: column "x" not found');
    expect(explainCaseError(plain, dir)).toBe(plain);
    const ours = new AuditWsError('BAD_USAGE', 'no');
    expect(explainCaseError(ours, dir)).toBe(ours);
    const sqlite = explainCaseError(
      Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }),
      dir,
    );
    expect(sqlite).toBeInstanceOf(AuditWsError);
    expect((sqlite as AuditWsError).message).toContain(
      `${path.join(dir, 'case.sqlite')}: the case database is damaged`,
    );
  });
});
