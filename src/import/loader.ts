/**
 * Loads one data file into evidence.duckdb, inside the import's open transaction, with DuckDB doing
 * all the work (INSERT ... SELECT over read_csv / read_json / read_parquet; no row passes through JS
 * on the fast path). Rejected records go to the connection's temporary `import_rejects` table.
 *
 * The common case costs one pass: the records of the file's expected kind are inserted, and when that
 * count equals the number of non-blank lines the scan counted, the file held nothing else. Otherwise a
 * census finds the other kinds present, inserts them, and a last pass lists every rejected record.
 */
import { createWriteStream, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ArchiveFile } from '../archive/open.ts';
import { RECORD_KINDS } from '../archive/kinds.ts';
import type { RecordKind } from '../archive/kinds.ts';
import { readLines } from '../archive/lines.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { kindCensusSql, parsedSql, selectProblemsSql, selectRecordsSql, sqlString } from './record-sql.ts';
import type { RecordContext } from './record-sql.ts';
import { fastPathVerdict } from './scan.ts';
import type { ScanResult } from './scan.ts';
import { jsonlLinesSql, parquetRowsSql, preparedLinesSql } from './source-sql.ts';

export const REJECTS_TABLE = 'import_rejects';

/** Creates (or empties) the connection's temporary table of rejects; call before the transaction starts. */
export async function prepareRejectsTable(duck: DuckDBConnection): Promise<void> {
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${REJECTS_TABLE} (
    file VARCHAR, line BIGINT, row BIGINT, reason VARCHAR, excerpt VARCHAR, disposition VARCHAR)`);
}

export interface LoadJob {
  file: ArchiveFile;
  scan: ScanResult;
  context: RecordContext;
  /** Folder for temporary files (inside the case). */
  tempDir: string;
  maxLineBytes: number;
  signal?: AbortSignal;
  /** Share of the file DuckDB has worked through, 0..1, while a statement runs. */
  onFraction?: (fraction: number) => void;
}

export interface FileLoad {
  records: number;
  rejected: number;
  /** Records per stream, with the stream's kind. */
  streams: { stream: string; kind: RecordKind; records: number }[];
  /** How the lines were read: DuckDB's reader straight from the file, or the exact JS line splitter. */
  path: 'fast' | 'exact' | 'parquet';
  /** Why the exact path was taken. */
  exactBecause?: string;
}

/** Runs one statement, reporting DuckDB's progress and interrupting it when the signal aborts. */
export async function runTracked(
  duck: DuckDBConnection,
  sql: string,
  onFraction?: (f: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  if (signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
  const timer = onFraction
    ? setInterval(() => {
        const p = duck.progress;
        if (p.percentage >= 0) onFraction(p.percentage / 100);
      }, 150)
    : undefined;
  const onAbort = (): void => duck.interrupt();
  signal?.addEventListener('abort', onAbort);
  try {
    const result = await duck.run(sql);
    return Number(result.rowsChanged);
  } catch (err) {
    if (signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
    throw err;
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * DuckDB expands glob characters in file names; a file whose path has any is read through a plainly
 * named symbolic link in the case's temporary folder.
 */
function readablePath(absPath: string, tempDir: string, cleanups: (() => void)[]): string {
  if (!/[*?[\]{}]/.test(absPath)) return absPath;
  const dir = mkdtempSync(path.join(tempDir, 'link-'));
  const link = path.join(dir, `data${path.extname(absPath.replace(/\.gz$/i, '')) || '.jsonl'}${/\.gz$/i.test(absPath) ? '.gz' : ''}`);
  symlinkSync(absPath, link);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return link;
}

/**
 * The exact path: splits lines in JS (src/archive/lines.ts: \n ends a line, a \r before it is dropped,
 * BOM, over-long and non-UTF-8 lines reported) and writes them as NDJSON {l, r} / {l, p} for read_json.
 * Returns how many non-blank lines it wrote.
 */
async function prepareExactLines(job: LoadJob, outPath: string): Promise<number> {
  const out = createWriteStream(outPath);
  let written = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', r));
  };
  const add = async (obj: object): Promise<void> => {
    const s = `${JSON.stringify(obj)}\n`;
    pending.push(s);
    pendingBytes += s.length;
    written++;
    if (pendingBytes > 4 * 1024 * 1024) await flush();
  };
  let lastLine = 0;
  try {
    for await (const ev of readLines(job.file.absPath, {
      gzip: job.file.format === 'jsonl.gz',
      maxLineBytes: job.maxLineBytes,
      displayName: job.file.path,
    })) {
      if (job.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      lastLine = ev.line;
      if (ev.kind === 'too-long') {
        await add({ l: ev.line, p: `line longer than the limit of ${job.maxLineBytes} bytes (${ev.bytes} bytes)` });
      } else if (ev.kind === 'not-utf8') {
        await add({ l: ev.line, p: 'line is not valid UTF-8' });
      } else if (!/^[ \t]*$/.test(ev.text)) {
        await add({ l: ev.line, r: ev.text });
      }
    }
  } catch (err) {
    if (!(err instanceof AuditWsError) || err.code !== 'UNREADABLE_INPUT') throw err;
    // A truncated or corrupt .gz: the lines before the damage are loaded, the damage is one reject.
    const why = err.message.startsWith(`${job.file.path}: `) ? err.message.slice(job.file.path.length + 2) : err.message;
    await add({ l: lastLine + 1, p: why });
  } finally {
    await flush();
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  return written;
}

/** DuckDB type names whose values to_json cannot render as the JSON the producer hashed (spec section 6). */
const INEXACT_TYPE = /TIMESTAMP|DATE|TIME|INTERVAL|DECIMAL|FLOAT|REAL|BLOB|UUID|HUGEINT|BIT|UNION|VARINT|BIGNUM/i;
const MAX_SAFE_INTEGER = '9007199254740991';

/** SQL giving why a Parquet row's hash cannot be re-computed, from the file's column types. */
function parquetUnverifiableSql(columns: { name: string; type: string }[]): string {
  const parts: string[] = [];
  for (const c of columns) {
    const ident = `"${c.name.replace(/"/g, '""')}"`;
    const reason = (what: string) => sqlString(`member "${c.name}" ${what}`);
    if (/^(BIGINT|UBIGINT)$/i.test(c.type)) {
      parts.push(`CASE WHEN abs(${ident}::HUGEINT) > ${MAX_SAFE_INTEGER} THEN ${reason('holds an integer beyond 2^53-1, which JSON numbers cannot carry exactly')} END`);
    } else if (INEXACT_TYPE.test(c.type.replace(/VARCHAR|JSON/gi, ''))) {
      parts.push(`CASE WHEN ${ident} IS NOT NULL THEN ${reason(`is stored as ${c.type}, which cannot reproduce its JSON value`)} END`);
    } else if (/^MAP\((?!VARCHAR,)/i.test(c.type)) {
      parts.push(`CASE WHEN ${ident} IS NOT NULL THEN ${reason(`is a ${c.type} whose keys JSON member names cannot carry exactly`)} END`);
    }
  }
  return parts.length === 0 ? 'NULL::VARCHAR' : `nullif(concat_ws('; ', ${parts.join(', ')}), '')`;
}

/** What loading a file reads: the input relation and how many records it holds. */
export interface PreparedSource {
  inputSql: string;
  /** Non-blank lines, or Parquet rows. */
  expected: number;
  path: FileLoad['path'];
  exactBecause?: string;
  /** Removes temporary files (links, the exact path's NDJSON). */
  cleanup(): void;
}

/**
 * Everything about a file that can fail before the import's transaction starts (a statement that fails
 * inside a DuckDB transaction aborts the whole transaction): reading a Parquet file's schema and row
 * count, and splitting lines in JS for the exact path. Throws FileUnreadable for a file DuckDB cannot read.
 */
export async function prepareSource(duck: DuckDBConnection, job: LoadJob): Promise<PreparedSource> {
  const cleanups: (() => void)[] = [];
  const cleanup = (): void => {
    for (const c of cleanups.splice(0)) c();
  };
  const { file, scan } = job;
  try {
    if (file.format === 'parquet') {
      const p = readablePath(file.absPath, job.tempDir, cleanups);
      let columns: { name: string; type: string }[];
      let expected: number;
      try {
        const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(p)})`);
        columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        const n = await duck.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(p)})`);
        expected = Number(n.getRowsJS()[0][0]);
      } catch (err) {
        throw new FileUnreadable(file.path, `not a readable Parquet file (${firstLine(err, p, file.path)})`);
      }
      const inputSql = parquetRowsSql(p, columns.map((c) => c.name), parquetUnverifiableSql(columns));
      return { inputSql, expected, path: 'parquet', cleanup };
    }
    const facts = scan.facts;
    if (!facts) throw new Error(`${file.path}: no line facts`);
    const verdict = fastPathVerdict(facts);
    if (verdict.ok) {
      const inputSql = jsonlLinesSql(readablePath(file.absPath, job.tempDir, cleanups), verdict.newLine, file.format === 'jsonl.gz');
      return { inputSql, expected: facts.lines - facts.blankLines, path: 'fast', cleanup };
    }
    const dir = mkdtempSync(path.join(job.tempDir, 'lines-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prepared = path.join(dir, 'lines.ndjson');
    const expected = await prepareExactLines(job, prepared);
    return { inputSql: preparedLinesSql(prepared), expected, path: 'exact', exactBecause: verdict.why, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Inserts a prepared file's records (inside the import's transaction). */
export async function loadDataFile(duck: DuckDBConnection, job: LoadJob, source: PreparedSource): Promise<FileLoad> {
  const { file } = job;
  const { inputSql, expected } = source;
  const base: Pick<FileLoad, 'path' | 'exactBecause'> = { path: source.path };
  if (source.exactBecause) base.exactBecause = source.exactBecause;
  if (expected === 0) {
    await noteFile(duck, file.path, 'file holds no records');
    return { records: 0, rejected: 0, streams: [], ...base };
  }

  const ctx = job.context;
  const loaded = new Map<RecordKind, number>();
  const insert = async (kind: RecordKind, report: boolean): Promise<void> => {
    const sql = `INSERT INTO ${KIND_TABLES[kind]} WITH ${parsedSql(inputSql, ctx, [kind])} ${selectRecordsSql(kind, ctx)}`;
    const n = await runTracked(duck, sql, report ? job.onFraction : undefined, job.signal);
    loaded.set(kind, (loaded.get(kind) ?? 0) + n);
  };

  if (ctx.fileKind) await insert(ctx.fileKind, true);
  let records = [...loaded.values()].reduce((a, b) => a + b, 0);
  let rejected = 0;
  if (records !== expected) {
    // Other kinds, or rejects: find out which kinds the file holds, load them, then list the rejects.
    const census = await duck.runAndReadAll(`WITH ${parsedSql(inputSql, ctx, RECORD_KINDS)} ${kindCensusSql()}`);
    for (const row of census.getRowObjectsJS()) {
      const kind = row.kind as RecordKind | null;
      if (kind && kind !== ctx.fileKind && Number(row.records) > 0) await insert(kind, !ctx.fileKind);
    }
    records = [...loaded.values()].reduce((a, b) => a + b, 0);
    const problems = `WITH ${parsedSql(inputSql, ctx, RECORD_KINDS)} ${selectProblemsSql(RECORD_KINDS)}`;
    rejected = await runTracked(
      duck,
      `INSERT INTO ${REJECTS_TABLE} SELECT ${sqlString(file.path)}, line, row, reason, excerpt, 'rejected' FROM (${problems})`,
      undefined,
      job.signal,
    );
    if (records + rejected !== expected) {
      throw new AuditWsError(
        'INTERNAL',
        `${file.path}: ${expected} records expected, ${records} loaded and ${rejected} rejected; the import is stopped`,
        { file: file.path },
      );
    }
  }

  const streams: FileLoad['streams'] = [];
  for (const [kind, n] of loaded) {
    if (n === 0) continue;
    const rows = await duck.runAndReadAll(
      `SELECT stream, count(*) AS n FROM ${KIND_TABLES[kind]} WHERE source_file_id = ${ctx.sourceFileId} GROUP BY stream ORDER BY stream`,
    );
    for (const r of rows.getRowObjectsJS()) streams.push({ stream: String(r.stream), kind, records: Number(r.n) });
  }
  return { records, rejected, streams, ...base };
}

async function noteFile(duck: DuckDBConnection, file: string, reason: string): Promise<void> {
  await duck.run(`INSERT INTO ${REJECTS_TABLE} VALUES (${sqlString(file)}, NULL, NULL, ${sqlString(reason)}, NULL, 'noted')`);
}

/** A data file DuckDB cannot read at all (e.g. a truncated Parquet file): the whole file is one reject. */
export class FileUnreadable extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

function firstLine(err: unknown, diskPath: string, displayName: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].split(diskPath).join(displayName);
}
