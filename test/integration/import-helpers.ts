/** Shared setup for the import tests: temporary workspaces, the example archive, small queries. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { rawTexts } from '../../src/case/source-copies.ts';
import type { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/spec/', import.meta.url));
export const EXAMPLE = path.join(FIXTURES, 'example');
export const PYTHON_LOGGER = path.join(FIXTURES, 'example-python-logger.jsonl');
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

const made: string[] = [];

export function tempDir(prefix = 'import-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A minimal valid decision line (JSONL), with `extra` members appended inside the object. */
export const decisionLine = (id: string, extra = ''): string =>
  `{"decisionId":"${id}","modelId":"m","prediction":"approve","confidence":0.5,"timestamp":"2026-03-01T00:00:00Z"${extra}}`;

/** A new temporary folder holding `decisions/<name>` for each entry, its lines each ended by \n; returns the folder. */
export function writeDecisionDir(files: Record<string, string[]>, prefix = 'decisions-'): string {
  const dir = tempDir(prefix);
  fs.mkdirSync(path.join(dir, 'decisions'));
  for (const [name, lines] of Object.entries(files))
    fs.writeFileSync(path.join(dir, 'decisions', name), `${lines.join('\n')}\n`);
  return dir;
}

/** Writes `content` to a file `name` in a new temporary folder; returns its path. */
export function writeTempFile(name: string, content: string | Buffer): string {
  const p = path.join(tempDir(), name);
  fs.writeFileSync(p, content);
  return p;
}

export async function newCase(name = 'Test case'): Promise<{ ws: Workspace; handle: CaseHandle }> {
  const ws = new Workspace(tempDir('import-ws-'));
  const handle = await ws.create(name, { actor: 'tester' });
  return { ws, handle };
}

/** Rows of a query as plain JS objects (BIGINT as number). */
export async function rows(handle: CaseHandle, sql: string): Promise<Record<string, unknown>[]> {
  const r = await handle.duck.runAndReadAll(sql);
  return r
    .getRowObjectsJS()
    .map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

/**
 * Rows of a query over an evidence table with `raw` set to each record's text, read as the app reads it
 * (src/case/source-copies.ts). The query must select source_file_id, line and row.
 */
export async function rowsWithRaw(handle: CaseHandle, sql: string): Promise<Record<string, unknown>[]> {
  const got = await rows(handle, sql);
  const texts = await rawTexts(handle.dir, handle.sqlite, handle.duck, got);
  return got.map((r, i) => ({ ...r, raw: texts[i] }));
}

export async function count(handle: CaseHandle, table: string, where = 'true'): Promise<number> {
  return Number((await rows(handle, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n);
}

/** Record counts of every evidence table. */
export async function tableCounts(handle: CaseHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['decisions', 'lifecycle_events', 'reviews', 'outcomes']) out[t] = await count(handle, t);
  return out;
}

/** A copy of the example archive in a temp folder (tests may change the copy). */
export function copyExample(): string {
  const dst = path.join(tempDir('example-copy-'), 'example');
  fs.cpSync(EXAMPLE, dst, { recursive: true });
  return dst;
}

/** Rewrites every JSONL data file of an archive folder as Parquet (timestamps kept as strings), removing the JSONL. */
export async function toParquet(dir: string, options: { keepTimestampStrings?: boolean } = {}): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const src of walk(dir).filter(
    (f) => /\.jsonl(\.gz)?$/.test(f) && !f.includes(`${path.sep}manifest${path.sep}`),
  )) {
    const dst = src.replace(/\.jsonl(\.gz)?$/, '.parquet');
    const fmt = options.keepTimestampStrings === false ? '' : ", timestampformat='x', dateformat='x'";
    await con.run(`COPY (SELECT * FROM read_json('${src}'${fmt})) TO '${dst}' (FORMAT parquet, COMPRESSION zstd)`);
    fs.rmSync(src);
  }
  con.closeSync();
  inst.closeSync();
}
