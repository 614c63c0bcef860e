/**
 * Loads data files into evidence.duckdb, inside the import's open transaction, with DuckDB doing all
 * the work: INSERT ... SELECT over read_csv / read_json / read_parquet; on the fast path no record
 * passes through JS. Files are grouped in batches (same archive, same kind, same way of reading: for
 * Parquet, columns of the same types), and the batches of one kind are loaded by one statement, a
 * UNION ALL of their SELECTs: one INSERT per table per import, because several INSERTs into one table
 * in a transaction make DuckDB's COMMIT merge their partly filled row groups, and because planning
 * the extraction SQL costs more than reading a small file. Rejected records go to the connection's
 * temporary `import_rejects` table.
 *
 * The common case costs one pass: the records of each batch's kind are inserted, and when that count
 * equals the records the scan counted (non-blank lines, Parquet rows), the files held nothing else.
 * Otherwise, for the batches that fell short, a census finds the other kinds present, inserts them,
 * and a last pass lists every rejected record.
 */
import { createWriteStream, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { ArchiveFile } from '../archive/open.ts';
import { RECORD_KINDS } from '../archive/kinds.ts';
import { parquetTooDeep, parquetValueToJson } from '../archive/parquet.ts';
import { MAX_JSON_DEPTH } from '../archive/jsontext.ts';
import { quoteIdent } from '../case/evidence-schema.ts';
import { copyLineTexts } from '../case/source-copies.ts';
import type { RecordKind } from '../archive/kinds.ts';
import { readLines } from '../archive/lines.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { parseByteSize } from '../query/lookups.ts';
import {
  JsonlRecordSql,
  censusIndexSql,
  keyCensusSql,
  keyCensusSummarySql,
  sqlString,
  suspectsSql,
} from './record-sql.ts';
import type { BatchFileContext, KeyCensus, RecordContext, RecordSqlBuilder } from './record-sql.ts';
import { fastPathVerdict } from './scan.ts';
import type { ScanResult } from './scan.ts';
import { ParquetRecordSql, nestedTypesAgree } from './parquet-sql.ts';
import type { ParquetColumn } from './parquet-sql.ts';
import {
  jsonlLinesSql,
  jsonlUnnumberedSql,
  numberedByIndexSql,
  parquetRowsSql,
  preparedLinesSql,
} from './source-sql.ts';

export const REJECTS_TABLE = 'import_rejects';

/** Creates (or empties) the connection's temporary table of rejects; call before the transaction starts. */
export async function prepareRejectsTable(duck: DuckDBConnection): Promise<void> {
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${REJECTS_TABLE} (
    source_file_id BIGINT, file VARCHAR, line BIGINT, row BIGINT, reason VARCHAR, excerpt VARCHAR, disposition VARCHAR)`);
}

/** A data file to load, as the importer knows it. */
export interface SourceFile {
  file: ArchiveFile;
  scan: ScanResult;
  /** Which archive it came from (files of different archives are never batched together). */
  archiveIndex: number;
  declaredStreams: ReadonlyMap<string, RecordKind>;
  context: BatchFileContext;
}

/** Files loaded by one statement, and how to read them. */
export interface Batch {
  files: SourceFile[];
  context: RecordContext;
  inputSql: string;
  /**
   * JSONL fast path: the lines for the fast load, read in parallel and numbered by the batch's line
   * index, when no two lines of a file have the same hash (else the fast load reads `inputSql`).
   */
  fastInputSql?: string;
  /** Whether `fastInputSql` gives each line the hash of its member-name list (`kh`, from censusWithIndex). */
  fastInputKeyHashes?: boolean;
  /** Records the files hold (non-blank lines, or Parquet rows). */
  expected: number;
  path: 'fast' | 'exact' | 'parquet';
  /** Why the exact path was taken, per file path. */
  exactBecause: Map<string, string>;
  bytes: number;
  /** JSONL: the key census (record-sql.ts). */
  census?: KeyCensus;
  /** Parquet: the files' columns (parquet-sql.ts). */
  columns?: ParquetColumn[];
  /** Removes temporary files (links, the exact path's NDJSON). */
  cleanup(): void;
}

export interface PrepareOptions {
  importId: number;
  /** Folder for temporary files (inside the case). */
  tempDir: string;
  maxLineBytes: number;
  signal?: AbortSignal;
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

/** AUDIT_WS_DEBUG=1 prints each statement's duration to stderr (where an import spends its time). */
async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  if (!process.env.AUDIT_WS_DEBUG) return run();
  const t = performance.now();
  const cpu = process.cpuUsage();
  try {
    return await run();
  } finally {
    const rss = Math.round(process.memoryUsage.rss() / 1048576);
    const used = process.cpuUsage(cpu);
    process.stderr.write(
      `[import] ${what}: ${Math.round(performance.now() - t)} ms (CPU user ${Math.round(used.user / 1000)} ms, system ${Math.round(used.system / 1000)} ms), RSS ${rss} MB\n`,
    );
  }
}

const PROGRESS_POLL_MS = 500;
let profiled = 0;

/** Runs one statement, reporting DuckDB's progress and interrupting it when the signal aborts. */
export async function runTracked(
  duck: DuckDBConnection,
  sql: string,
  onFraction?: (f: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  if (signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
  // AUDIT_WS_DEBUG_PROFILE=DIR: DuckDB's profile of each load statement (JSON: operators, CPU, spill) in DIR.
  const profileDir = process.env.AUDIT_WS_DEBUG_PROFILE;
  if (profileDir) {
    await duck.run(`SET enable_profiling = 'json'`);
    await duck.run(
      `SET profiling_output = ${sqlString(path.join(profileDir, `load-${Date.now()}-${++profiled}.json`))}`,
    );
  }
  // DuckDB works out its progress by asking every operator of the running pipeline: about 1% of an
  // import's CPU when asked every 150 ms, so it is asked twice a second.
  const timer = onFraction
    ? setInterval(() => {
        const p = duck.progress;
        if (p.percentage >= 0) onFraction(p.percentage / 100);
      }, PROGRESS_POLL_MS)
    : undefined;
  const onAbort = (): void => duck.interrupt();
  signal?.addEventListener('abort', onAbort);
  try {
    const result = await timed(sql.slice(0, 60).replace(/\s+/g, ' '), () => duck.run(sql));
    if (profileDir) await duck.run('PRAGMA disable_profiling');
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
  const lower = absPath.toLowerCase();
  const ext = lower.endsWith('.gz') ? '.jsonl.gz' : lower.endsWith('.parquet') ? '.parquet' : '.jsonl';
  const link = path.join(dir, `data${ext}`);
  symlinkSync(absPath, link);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return link;
}

/**
 * The exact path: splits lines in JS (src/archive/lines.ts: \n ends a line, a \r before it is dropped,
 * a BOM is dropped, over-long and non-UTF-8 lines are reported, and so are the lines scan.ts found
 * nested too deep) and writes them as NDJSON {f, l, r} / {f, l, p} for read_json. Returns how many
 * non-blank lines each file had.
 */
async function prepareExactLines(files: SourceFile[], outPath: string, options: PrepareOptions): Promise<number[]> {
  const out = createWriteStream(outPath);
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', r));
  };
  const counts: number[] = [];
  try {
    for (let f = 0; f < files.length; f++) {
      const file = files[f].file;
      let written = 0;
      const add = async (obj: { f: number; l: number; r?: string; p?: string }): Promise<void> => {
        let s = `${JSON.stringify(obj)}\n`;
        // Escaping can make a long line longer than read_json's object limit: then the line is reported.
        if (s.length > exactObjectLimit(options.maxLineBytes)) {
          s = `${JSON.stringify({ f: obj.f, l: obj.l, p: `line longer than the limit of ${options.maxLineBytes} bytes once escaped` })}\n`;
        }
        pending.push(s);
        pendingBytes += s.length;
        written++;
        if (pendingBytes > 4 * 1024 * 1024) await flush();
      };
      let lastLine = 0;
      // Lines the scan found nested deeper than the reader accepts (scan.ts): rejected here, at their line.
      const deep = new Map((files[f].scan.facts?.deepLines ?? []).map((d) => [d.line, d.reason]));
      try {
        for await (const ev of readLines(file.absPath, {
          gzip: file.format === 'jsonl.gz',
          maxLineBytes: options.maxLineBytes,
          displayName: file.path,
        })) {
          if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
          lastLine = ev.line;
          if (ev.kind === 'too-long') {
            await add({
              f,
              l: ev.line,
              p: `line longer than the limit of ${options.maxLineBytes} bytes (${ev.bytes} bytes)`,
            });
          } else if (ev.kind === 'not-utf8') {
            await add({ f, l: ev.line, p: 'line is not valid UTF-8' });
          } else if (deep.has(ev.line)) {
            await add({ f, l: ev.line, p: deep.get(ev.line) });
          } else if (!/^[ \t]*$/.test(ev.text)) {
            await add({ f, l: ev.line, r: ev.text });
          }
        }
      } catch (err) {
        if (!(err instanceof AuditWsError) || err.code !== 'UNREADABLE_INPUT') throw err;
        // A truncated or corrupt .gz: the lines before the damage are loaded, the damage is one reject.
        const why = err.message.startsWith(`${file.path}: `) ? err.message.slice(file.path.length + 2) : err.message;
        await add({ f, l: lastLine + 1, p: why });
      }
      counts.push(written);
    }
  } finally {
    await flush();
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  return counts;
}

/**
 * Largest NDJSON object of the exact path: a line at the limit plus JSON escaping of a few characters.
 * (read_json allocates buffers of twice this size, so it stays near the line limit.)
 */
function exactObjectLimit(maxLineBytes: number): number {
  return Math.ceil(maxLineBytes * 1.25) + 1024;
}

/** A problem found in one row of a Parquet file before it is loaded. */
interface RowProblem {
  row: number;
  reason: string;
}

/**
 * A Parquet JSON column's text is embedded in the record as it is, so it must nest no deeper than the
 * reader accepts (jsontext.ts MAX_JSON_DEPTH), as a JSONL line must (scan.ts). (DuckDB itself refuses a
 * file whose JSON column holds text that is not JSON: the file is then one reject.) Text that long and
 * with that many brackets is rare, so DuckDB lists only those values, and each is judged by the reader's
 * own conversion (parquetValueToJson); a row found too deep gets the reader's words as its problem
 * (withRowProblems).
 */
async function jsonTooDeepRows(
  duck: DuckDBConnection,
  file: string,
  columns: readonly ParquetColumn[],
): Promise<RowProblem[]> {
  // A JSON value inside a struct, list or map counts too: the whole column rendered is the filter (its JSON
  // values are embedded as they are, so it nests at least as deep), and the reader's conversion judges them.
  const checked = columns.filter((c) => /\bJSON\b/i.test(c.type));
  if (checked.length === 0) return [];
  const brackets = (t: string) => `strlen(${t}) - strlen(replace(replace(${t}, '[', ''), '{', ''))`;
  const picks = checked.map((c, i) => {
    const ident = quoteIdent(c.name);
    const text = c.type.toUpperCase() === 'JSON' ? `${ident}::VARCHAR` : `to_json(${ident})::VARCHAR`;
    return `CASE WHEN strlen(${text}) > ${2 * MAX_JSON_DEPTH} AND ${brackets(text)} > ${MAX_JSON_DEPTH} THEN ${ident} END AS v${i}`;
  });
  // One pass over the file: each column's value is kept only where it could nest too deep.
  const reader = await duck.stream(
    `SELECT * FROM (SELECT (file_row_number + 1)::BIGINT AS row, ${picks.join(', ')}
FROM read_parquet(${sqlString(file)}, file_row_number=true))
WHERE ${checked.map((_c, i) => `v${i} IS NOT NULL`).join(' OR ')}`,
  );
  const types = checked.map((_c, i) => reader.columnType(i + 1));
  const problems: RowProblem[] = [];
  for (;;) {
    const chunk = await reader.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const [row, ...values] of chunk.getRows()) {
      const reason = values
        .map((v, i) => {
          if (v === null) return undefined;
          try {
            parquetValueToJson(v, types[i], checked[i].name);
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        })
        .find((r) => r !== undefined);
      if (reason) problems.push({ row: Number(row), reason });
    }
  }
  return problems;
}

/** Temporary tables of row problems (dropped with the census tables when the import ends). */
export const ROW_PROBLEMS_PREFIX = 'row_problems_';
let rowProblemTables = 0;

/** The input with those rows' problems set (a reject at the row), through a temporary table joined to it. */
async function withRowProblems(
  duck: DuckDBConnection,
  inputSql: string,
  problems: readonly (RowProblem & { fidx: number })[],
  importId: number,
): Promise<string> {
  if (problems.length === 0) return inputSql;
  const table = `${ROW_PROBLEMS_PREFIX}${importId}_${rowProblemTables++}`;
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${table} (fidx INTEGER, row BIGINT, reason VARCHAR)`);
  const appender = await duck.createAppender(table, 'main', 'temp');
  for (const p of problems) {
    appender.appendInteger(p.fidx);
    appender.appendBigInt(BigInt(p.row));
    appender.appendVarchar(p.reason);
    appender.endRow();
  }
  appender.closeSync();
  return `SELECT r.* REPLACE (coalesce(r.pre_problem, p.reason) AS pre_problem)
FROM (${inputSql}) r LEFT JOIN temp.${table} p ON p.fidx = r.fidx AND p.row = r.row`;
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
      parts.push(
        `CASE WHEN abs(${ident}::HUGEINT) > ${MAX_SAFE_INTEGER} THEN ${reason('holds an integer beyond 2^53-1, which JSON numbers cannot carry exactly')} END`,
      );
    } else if (INEXACT_TYPE.test(c.type)) {
      parts.push(
        `CASE WHEN ${ident} IS NOT NULL THEN ${reason(`is stored as ${c.type}, which cannot reproduce its JSON value`)} END`,
      );
    } else if (/^MAP\((?!VARCHAR,)/i.test(c.type)) {
      parts.push(
        `CASE WHEN ${ident} IS NOT NULL THEN ${reason(`is a ${c.type} whose keys JSON member names cannot carry exactly`)} END`,
      );
    }
  }
  return parts.length === 0 ? 'NULL::VARCHAR' : `nullif(concat_ws('; ', ${parts.join(', ')}), '')`;
}

function firstLine(err: unknown, diskPath: string, displayName: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].split(diskPath).join(displayName);
}

function contextOf(files: SourceFile[], importId: number): RecordContext {
  const ctx: RecordContext = {
    declaredStreams: files[0].declaredStreams,
    importId,
    files: files.map((f) => f.context),
  };
  if (files[0].file.kind) ctx.fileKind = files[0].file.kind;
  return ctx;
}

let censusCounter = 0;

/**
 * A DuckDB error about the bytes of a file being read (a corrupt Parquet page, a broken gzip stream),
 * as opposed to the machine (memory, disk) or a fault in our SQL, which must stop the import rather
 * than quietly set a file aside.
 */
export function isReadError(err: unknown): boolean {
  if (err instanceof AuditWsError) return false;
  const msg = err instanceof Error ? err.message : String(err);
  return (
    /^(IO Error|Invalid Input Error|Invalid Error)/.test(msg) &&
    !/out of memory|no space left|could not write|permission denied/i.test(msg)
  );
}

/** Builds a batch's key census (record-sql.ts) and reads what it found. */
async function takeKeyCensus(
  duck: DuckDBConnection,
  inputSql: string,
  table: string,
  files: readonly SourceFile[],
): Promise<KeyCensus> {
  const lenient = lenientFiles(files);
  await runCensusStatement(`key census ${table}`, (invalid) =>
    duck.run(keyCensusSql(inputSql, table, lenient, invalid)),
  );
  const census = await readKeyCensus(duck, table);
  if (census.suspects > 0) await duck.run(suspectsSql(table));
  return census;
}

/** A file the scan found no lenient token in cannot hold a record that has one. */
function lenientFiles(files: readonly SourceFile[]): boolean[] {
  return files.map((f) => f.scan.facts?.lenientTokens !== false);
}

/** Runs a statement that parses every line, first as if every line were JSON, and again, reading an invalid line as NULL, if one is not. */
async function runCensusStatement(label: string, run: (invalid: 'throw' | 'null') => Promise<unknown>): Promise<void> {
  try {
    await timed(label, () => run('throw'));
  } catch (err) {
    if (!(err instanceof Error) || !/Malformed JSON/.test(err.message)) throw err;
    await timed(`${label} (an invalid line)`, () => run('null'));
  }
}

/** What a census table found (record-sql.ts keyCensusSummarySql). */
async function readKeyCensus(duck: DuckDBConnection, table: string): Promise<KeyCensus> {
  const row = (await duck.runAndReadAll(keyCensusSummarySql(table))).getRowObjectsJS()[0];
  const extrasFor = new Set<RecordKind>(RECORD_KINDS.filter((k) => row[`extras_${k}`] === true));
  const census: KeyCensus = {
    table,
    names: new Set(((row.names as unknown[] | null) ?? []).map(String)),
    duplicates: row.duplicates === true,
    extrasFor,
    suspects: Number(row.suspects),
  };
  if (Number(row.dialects) <= 1)
    census.dialect = row.any_snake === true ? (row.any_camel === true ? 'mixed' : 'snake_case') : 'camelCase';
  return census;
}

/**
 * Past this many distinct member-name lists in a batch, the census is taken over every line (takeKeyCensus)
 * rather than over one line of each read from the copies.
 */
export const MAX_KEY_LISTS = 1000;

/**
 * A fast batch's line index and key census from one pass over its numbered lines (record-sql.ts
 * censusIndexSql); the census proper is then taken over one line per distinct member-name list, read
 * from the case's copy of its file. Where that does not apply (more than MAX_KEY_LISTS lists, two
 * different texts of a file with the same hash, a copy without a line index) the census is taken over
 * every line (takeKeyCensus), and the index stands. Returns the census and the unnumbered lines numbered
 * by the index, or no lines when two lines of a file have the same hash (identical lines, or a collision):
 * then the index cannot tell them apart, and the fast load reads the numbered lines.
 */
async function censusWithIndex(
  duck: DuckDBConnection,
  numberedSql: string,
  unnumberedSql: string,
  table: string,
  files: readonly SourceFile[],
): Promise<{ census: KeyCensus; fastInputSql?: string; keyHashes: boolean }> {
  const lines = `${table}_lines`;
  const lenient = lenientFiles(files);
  await runCensusStatement(`key census and line index ${lines}`, (invalid) =>
    duck.run(censusIndexSql(numberedSql, lines, lenient, invalid)),
  );
  const [[collisions, shared, suspects]] = (
    await duck.runAndReadAll(
      `SELECT count(*) FILTER (WHERE kh <> kh_max), count(*) FILTER (WHERE n > 1), count(*) FILTER (WHERE suspect) FROM ${lines}`,
    )
  ).getRowsJS();
  const fromLists = Number(collisions) === 0 ? await censusOfLists(duck, table, files, Number(suspects)) : undefined;
  const census = fromLists ?? (await takeKeyCensus(duck, unnumberedSql, table, files));
  if (Number(shared) > 0) return { census, keyHashes: false };
  // With the census of the lists, each line's `kh` finds its list's verdict (record-sql.ts rowsSql).
  return { census, fastInputSql: numberedByIndexSql(unnumberedSql, lines, !!fromLists), keyHashes: !!fromLists };
}

/**
 * The census proper of a batch indexed by censusIndexSql (`<table>_lines`), taken over one line per
 * distinct member-name list read from the copies; undefined past MAX_KEY_LISTS lists or without a line
 * index to read them by.
 */
async function censusOfLists(
  duck: DuckDBConnection,
  table: string,
  files: readonly SourceFile[],
  suspects: number,
): Promise<KeyCensus | undefined> {
  const lines = `${table}_lines`;
  const reps = (
    await duck.runAndReadAll(
      `SELECT fidx, min(line) AS line FROM ${lines} WHERE kh IS NOT NULL GROUP BY kh, fidx QUALIFY row_number() OVER (PARTITION BY kh ORDER BY fidx) = 1 LIMIT ${MAX_KEY_LISTS + 1}`,
    )
  ).getRowsJS();
  if (reps.length > MAX_KEY_LISTS) return undefined;
  const texts: string[] = [];
  for (const [fidx, line] of reps) {
    const text = copyLineTexts(files[Number(fidx)].file.absPath, [Number(line)]);
    if (!text) return undefined;
    texts.push(text[0]);
  }
  const repsSql = `SELECT 0 AS fidx, NULL::BIGINT AS line, NULL::BIGINT AS row, raw, NULL::VARCHAR AS pre_problem, NULL::VARCHAR AS unverifiable
FROM (SELECT unnest($1::VARCHAR[]) AS raw)`;
  await timed(`key census ${table} (${texts.length} lists)`, () =>
    duck.run(keyCensusSql(repsSql, table, [false], 'null'), [listValue(texts)]),
  );
  const census = await readKeyCensus(duck, table);
  // The suspects are the lines', not the census lines'.
  census.suspects = suspects;
  if (suspects > 0)
    await duck.run(`CREATE OR REPLACE TEMP TABLE ${table}_suspects AS SELECT fidx, h FROM ${lines} WHERE suspect`);
  return census;
}

/**
 * The most lines a batch's line index may hold. The index and the hash table the load builds from it
 * stay in memory: a batch is indexed only while 176 bytes a line fit in half of DuckDB's memory limit (at the
 * default 1 GB, about 2.8M lines), leaving the rest to the load's own buffers (the index holds the per-line
 * census too: censusIndexSql). Past it the load reads the
 * numbered lines. (Indexed, 10M decisions ran out of memory at 1 GB; 1M took 0.3 GB more than numbered.)
 */
export function lineIndexMaxLines(memoryLimit: string): number {
  let bytes = 2 ** 30; // DuckDB's default, should the setting be unreadable
  try {
    bytes = parseByteSize(memoryLimit);
  } catch {
    // keeps the default
  }
  return Math.floor(bytes / 2 / INDEX_BYTES_PER_LINE);
}
const INDEX_BYTES_PER_LINE = 176;

interface Group {
  files: SourceFile[];
  kind: Batch['path'];
  newLine?: '\\n' | '\\r\\n';
  gzip?: boolean;
  columns?: { name: string; type: string }[];
  why: Map<string, string>;
}

/**
 * Groups data files into batches and prepares how each batch is read. Everything that can fail for a
 * single file happens here, before the import's transaction starts (a failed statement aborts a DuckDB
 * transaction): reading Parquet schemas and row counts, splitting lines in JS for the exact path.
 * Returns the batches, the files DuckDB cannot read (with why), and the empty files.
 */
export async function prepareBatches(
  duck: DuckDBConnection,
  files: SourceFile[],
  options: PrepareOptions,
): Promise<{ batches: Batch[]; unreadable: Map<SourceFile, string>; empty: SourceFile[] }> {
  const unreadable = new Map<SourceFile, string>();
  const empty: SourceFile[] = [];
  const groups = new Map<string, Group>();
  const cleanups: (() => void)[] = [];
  const diskPath = new Map<SourceFile, string>();
  const parquetRows = new Map<SourceFile, number>();
  const fileColumns = new Map<SourceFile, ParquetColumn[]>();
  const jsonTooDeep = new Map<SourceFile, RowProblem[]>();

  for (const sf of files) {
    const base = `${sf.archiveIndex}|${sf.file.kind ?? '?'}`;
    if (sf.file.format === 'parquet') {
      const p = readablePath(sf.file.absPath, options.tempDir, cleanups);
      diskPath.set(sf, p);
      let columns: { name: string; type: string }[];
      let rows: number;
      try {
        // Before DuckDB reads the schema for a query: one nested too deep would invalidate the case's database.
        const tooDeep = await parquetTooDeep(duck, p);
        if (tooDeep) {
          unreadable.set(sf, `not a readable Parquet file (${tooDeep})`);
          continue;
        }
        const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(p)})`);
        columns = described
          .getRowObjectsJS()
          .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        rows = Number(
          (await duck.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(p)})`)).getRowsJS()[0][0],
        );
        const deep = await jsonTooDeepRows(duck, p, columns);
        if (deep.length > 0) jsonTooDeep.set(sf, deep);
      } catch (err) {
        unreadable.set(sf, `not a readable Parquet file (${firstLine(err, p, sf.file.path)})`);
        continue;
      }
      if (rows === 0) {
        empty.push(sf);
        continue;
      }
      parquetRows.set(sf, rows);
      fileColumns.set(sf, columns);
      // Files whose shared columns agree in type are read together (union_by_name: a column a file
      // lacks reads as NULL, an absent member); nested columns agree when they differ only in struct
      // fields' order and presence (nestedTypesAgree). A column with another type starts a new batch.
      let joined = false;
      for (const [key, g] of groups) {
        if (!key.startsWith(`${base}|parquet|`)) continue;
        const fits = g.files.every((other) => {
          const types = new Map((fileColumns.get(other) ?? []).map((c) => [c.name, c.type]));
          return columns.every((c) => !types.has(c.name) || nestedTypesAgree(types.get(c.name) as string, c.type));
        });
        if (!fits) continue;
        const types = new Map((g.columns ?? []).map((c) => [c.name, c.type]));
        for (const c of columns) if (!types.has(c.name)) g.columns?.push(c);
        g.files.push(sf);
        joined = true;
        break;
      }
      if (!joined)
        groups.set(`${base}|parquet|${groups.size}`, {
          files: [sf],
          kind: 'parquet',
          columns: [...columns],
          why: new Map(),
        });
      continue;
    }
    const facts = sf.scan.facts;
    if (!facts) throw new Error(`${sf.file.path}: no line facts`);
    const verdict = fastPathVerdict(facts);
    if (verdict.ok) {
      if (facts.lines === facts.blankLines) {
        empty.push(sf);
        continue;
      }
      diskPath.set(sf, readablePath(sf.file.absPath, options.tempDir, cleanups));
      const gzip = sf.file.format === 'jsonl.gz';
      const key = `${base}|fast|${verdict.newLine}|${gzip}`;
      const g: Group = groups.get(key) ?? { files: [], kind: 'fast', newLine: verdict.newLine, gzip, why: new Map() };
      g.files.push(sf);
      groups.set(key, g);
    } else {
      const key = `${base}|exact`;
      const g: Group = groups.get(key) ?? { files: [], kind: 'exact', why: new Map() };
      g.files.push(sf);
      g.why.set(sf.file.path, verdict.why);
      groups.set(key, g);
    }
  }

  // A Parquet group whose files' nested columns differ: the column types are those read_parquet's
  // union_by_name gives the files together. If DuckDB cannot read them together after all, the files
  // are grouped again by exact column types.
  for (const [key, g] of [...groups]) {
    if (g.kind !== 'parquet' || g.files.length < 2) continue;
    const differ = g.files.some((f) =>
      (fileColumns.get(f) ?? []).some((c) => (g.columns ?? []).some((u) => u.name === c.name && u.type !== c.type)),
    );
    if (!differ) continue;
    try {
      const paths = g.files.map((f) => sqlString(diskPath.get(f) as string)).join(', ');
      const described = await duck.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet([${paths}], union_by_name = true)`,
      );
      g.columns = described
        .getRowObjectsJS()
        .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    } catch {
      groups.delete(key);
      const strict: Group[] = [];
      for (const f of g.files) {
        const columns = fileColumns.get(f) ?? [];
        const fit = strict.find((h) => {
          const types = new Map((h.columns ?? []).map((c) => [c.name, c.type]));
          return columns.every((c) => !types.has(c.name) || types.get(c.name) === c.type);
        });
        if (fit) {
          const types = new Map((fit.columns ?? []).map((c) => [c.name, c.type]));
          for (const c of columns) if (!types.has(c.name)) fit.columns?.push(c);
          fit.files.push(f);
        } else strict.push({ files: [f], kind: 'parquet', columns: [...columns], why: new Map() });
      }
      strict.forEach((h, i) => groups.set(`${key}|${i}`, h));
    }
  }

  const batches: Batch[] = [];
  const lanes = Number((await duck.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0][0]) || 1;
  const indexMaxLines = lineIndexMaxLines(
    String((await duck.runAndReadAll("SELECT current_setting('memory_limit')")).getRowsJS()[0][0]),
  );
  try {
    for (const g of groups.values()) {
      const batchCleanups: (() => void)[] = [];
      const cleanup = (): void => {
        for (const c of batchCleanups.splice(0)) c();
      };
      let inputSql: string;
      /** What the key census reads: the lines unnumbered (faster), for plain JSONL. */
      let censusSql: string | undefined;
      /** Whether the fast load takes line numbers from a line index (censusWithIndex). */
      let indexed = false;
      let expected: number;
      const members = g.files;
      if (g.kind === 'parquet') {
        const names = (g.columns ?? []).map((c) => c.name);
        const paths = members.map((f) => diskPath.get(f) as string);
        inputSql = parquetRowsSql(paths, names, parquetUnverifiableSql(g.columns ?? []));
        inputSql = await withRowProblems(
          duck,
          inputSql,
          members.flatMap((f, fidx) => (jsonTooDeep.get(f) ?? []).map((x) => ({ ...x, fidx }))),
          options.importId,
        );
        expected = members.reduce((a, f) => a + (parquetRows.get(f) ?? 0), 0);
      } else if (g.kind === 'fast') {
        const lines = members.map((f) => f.scan.facts?.lines ?? 0);
        const paths = members.map((f) => diskPath.get(f) as string);
        inputSql = jsonlLinesSql(paths, lines, g.newLine ?? '\\n', !!g.gzip, lanes);
        expected = members.reduce((a, f) => a + ((f.scan.facts?.lines ?? 0) - (f.scan.facts?.blankLines ?? 0)), 0);
        if (!g.gzip) {
          censusSql = jsonlUnnumberedSql(paths, g.newLine ?? '\\n', false);
          indexed = expected <= indexMaxLines;
        }
      } else {
        const dir = mkdtempSync(path.join(options.tempDir, 'lines-'));
        batchCleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        const prepared = path.join(dir, 'lines.ndjson');
        let counts: number[];
        try {
          counts = await prepareExactLines(members, prepared, options);
        } catch (err) {
          cleanup();
          throw err;
        }
        // An empty file stays in the batch (it adds no rows, and fidx keeps matching the file list).
        for (const [i, f] of members.entries()) if (counts[i] === 0) empty.push(f);
        inputSql = preparedLinesSql(prepared, exactObjectLimit(options.maxLineBytes));
        expected = counts.reduce((a, b) => a + b, 0);
      }
      let census: KeyCensus | undefined;
      let fastInputSql: string | undefined;
      let fastInputKeyHashes = false;
      try {
        if (g.kind !== 'parquet') {
          const table = `key_census_${options.importId}_${censusCounter++}`;
          if (censusSql && indexed) {
            const indexedCensus = await censusWithIndex(duck, inputSql, censusSql, table, members);
            census = indexedCensus.census;
            fastInputSql = indexedCensus.fastInputSql;
            fastInputKeyHashes = indexedCensus.keyHashes;
          } else census = await takeKeyCensus(duck, censusSql ?? inputSql, table, members);
        }
      } catch (err) {
        cleanup();
        if (!isReadError(err)) throw err;
        if (members.length > 1) {
          // Some file of the batch cannot be read: take the census file by file to find it.
          for (const f of members) {
            const single = await prepareBatches(duck, [f], options);
            batches.push(...single.batches);
            for (const [k, v] of single.unreadable) unreadable.set(k, v);
            empty.push(...single.empty);
          }
        } else {
          unreadable.set(
            members[0],
            `cannot be read (${firstLine(err, diskPath.get(members[0]) ?? members[0].file.absPath, members[0].file.path)})`,
          );
        }
        continue;
      }
      batches.push({
        files: members,
        context: contextOf(members, options.importId),
        inputSql,
        ...(fastInputSql ? { fastInputSql, fastInputKeyHashes } : {}),
        expected,
        path: g.kind,
        exactBecause: g.why,
        bytes: members.reduce((a, f) => a + f.file.size, 0),
        ...(census ? { census } : { columns: g.columns ?? [] }),
        cleanup,
      });
    }
  } catch (err) {
    for (const b of batches) b.cleanup();
    for (const c of cleanups) c();
    throw err;
  }
  // Links for fast / Parquet batches are shared by the batches; remove them with the last batch.
  if (batches.length > 0) {
    const last = batches[batches.length - 1];
    const own = last.cleanup;
    last.cleanup = () => {
      own();
      for (const c of cleanups.splice(0)) c();
    };
  } else for (const c of cleanups) c();
  return { batches, unreadable, empty };
}

/** Splits a batch into one batch per file (to find which file DuckDB could not read). */
export async function splitBatch(duck: DuckDBConnection, batch: Batch, options: PrepareOptions): Promise<Batch[]> {
  const { batches } = await prepareBatches(duck, batch.files, options);
  const out: Batch[] = [];
  for (const b of batches) {
    if (b.files.length === 1) {
      out.push(b);
      continue;
    }
    b.cleanup();
    for (const f of b.files) out.push(...(await prepareBatches(duck, [f], options)).batches);
  }
  return out;
}

/** The SQL builder of a batch for the kinds it may hold. */
function builderOf(batch: Batch, kinds: readonly RecordKind[]): RecordSqlBuilder {
  return batch.census
    ? new JsonlRecordSql(
        batch.context,
        kinds,
        batch.inputSql,
        batch.census,
        batch.fastInputSql,
        !!batch.fastInputKeyHashes,
      )
    : new ParquetRecordSql(batch.context, kinds, batch.inputSql, batch.columns ?? []);
}

/** Progress and cancellation of the load. */
export interface LoadHooks {
  signal?: AbortSignal;
  /** A statement starts: what it reads (a label for the progress line), its bytes and records. */
  onStatement?: (label: string, bytes: number, records: number) => void;
  /** Share of the running statement DuckDB has done (0..1). */
  onFraction?: (fraction: number) => void;
  /** Files finished: how many, their bytes, the records they gave. */
  onLoaded?: (files: number, bytes: number, records: number) => void;
}

/** A statement over these batches failed (`failure`: DuckDB's error, or ours). */
export class BatchLoadError extends Error {
  constructor(
    readonly batches: Batch[],
    readonly failure: unknown,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

function labelOf(batches: readonly Batch[]): string {
  const files = batches.flatMap((b) => b.files);
  return files.length === 1 ? files[0].file.path : `${files.length} files (${files[0].file.path} ...)`;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Loads every batch (inside the import's transaction); rejects go to the rejects table. Returns the
 * records loaded.
 *
 * `combine` (the normal way): one INSERT per table for all the batches whose files hold that kind,
 * their SELECTs side by side in a UNION ALL, straight from the readers; when the records inserted
 * equal the records the files hold, nothing more runs. A batch that fell short (other kinds in its
 * files, or rejects) is finished on its own (finishBatch). Without `combine`, batch by batch (used to
 * find the file DuckDB cannot read after a combined statement failed).
 *
 * A failed statement throws BatchLoadError naming the batches it read.
 */
export async function loadBatches(
  duck: DuckDBConnection,
  batches: readonly Batch[],
  hooks: LoadHooks = {},
  combine = true,
): Promise<number> {
  let records = 0;
  if (!combine) {
    for (const b of batches) {
      hooks.onStatement?.(labelOf([b]), b.bytes, b.expected);
      let n: number;
      try {
        n = await finishBatch(duck, b, await insertKindOf(duck, [b], hooks), hooks);
      } catch (err) {
        throw err instanceof BatchLoadError ? err : new BatchLoadError([b], err);
      }
      records += n;
      hooks.onLoaded?.(b.files.length, b.bytes, n);
    }
    return records;
  }

  // The records of each batch's own kind: one statement per kind.
  const inserted = new Map<Batch, number>();
  for (const kind of RECORD_KINDS) {
    const group = batches.filter((b) => b.context.fileKind === kind);
    if (group.length === 0) continue;
    const bytes = sum(group.map((b) => b.bytes));
    const expected = sum(group.map((b) => b.expected));
    hooks.onStatement?.(labelOf(group), bytes, expected);
    let n: number;
    try {
      n = await insertKindOf(duck, group, hooks);
    } catch (err) {
      throw new BatchLoadError(group, err);
    }
    if (group.length === 1) inserted.set(group[0], n);
    else if (n === expected) for (const b of group) inserted.set(b, b.expected);
    else for (const [b, k] of await insertedPerBatch(duck, kind, group)) inserted.set(b, k);
    const complete = group.filter((b) => inserted.get(b) === b.expected);
    if (complete.length > 0)
      hooks.onLoaded?.(
        sum(complete.map((b) => b.files.length)),
        sum(complete.map((b) => b.bytes)),
        sum(complete.map((b) => b.expected)),
      );
    records += n;
  }

  // Batches that hold more than their kind, or rejects, or that have no kind of their own.
  for (const b of batches) {
    const done = inserted.get(b);
    if (done !== undefined && done === b.expected) continue;
    hooks.onStatement?.(labelOf([b]), b.bytes, b.expected);
    let n: number;
    try {
      n = await finishBatch(duck, b, done ?? 0, hooks);
    } catch (err) {
      throw err instanceof BatchLoadError ? err : new BatchLoadError([b], err);
    }
    records += n - (done ?? 0);
    hooks.onLoaded?.(b.files.length, b.bytes, n);
  }
  return records;
}

/**
 * Inserts the records of the batches' own kind (all batches have the same fileKind; none: 0), in one
 * statement, then (JSONL) the census's suspect records in a careful one. Returns the rows inserted.
 */
async function insertKindOf(duck: DuckDBConnection, group: readonly Batch[], hooks: LoadHooks): Promise<number> {
  const kind = group[0].context.fileKind;
  if (!kind) return 0;
  const table = KIND_TABLES[kind];
  const selects = group.map((b) => builderOf(b, [kind]).records(kind, 'fast'));
  let n = await runTracked(
    duck,
    `INSERT INTO ${table}
${selects.join('\nUNION ALL\n')}`,
    hooks.onFraction,
    hooks.signal,
  );
  const careful = group
    .filter((b) => b.census && b.census.suspects > 0)
    .map((b) => builderOf(b, [kind]).records(kind, 'suspects'));
  if (careful.length > 0)
    n += await runTracked(
      duck,
      `INSERT INTO ${table}
${careful.join('\nUNION ALL\n')}`,
      undefined,
      hooks.signal,
    );
  return n;
}

/** Rows of `kind` this import inserted from each batch's files (after a combined insert fell short). */
async function insertedPerBatch(
  duck: DuckDBConnection,
  kind: RecordKind,
  group: readonly Batch[],
): Promise<Map<Batch, number>> {
  const batchOf = new Map<number, Batch>();
  for (const b of group) for (const f of b.files) batchOf.set(f.context.sourceFileId, b);
  const out = new Map<Batch, number>(group.map((b) => [b, 0]));
  const importId = group[0].context.importId;
  const rows = await duck.runAndReadAll(
    `SELECT source_file_id, count(*) FROM ${KIND_TABLES[kind]} WHERE import_id = ${importId} GROUP BY ALL`,
  );
  for (const [id, n] of rows.getRowsJS()) {
    const b = batchOf.get(Number(id));
    if (b) out.set(b, (out.get(b) ?? 0) + Number(n));
  }
  return out;
}

/**
 * Finishes a batch whose own kind is loaded (`records` of them): when the files hold more, finds the
 * kinds present, loads the others, lists every rejected record, and checks that records and rejects
 * add up to what the files hold. Returns the batch's records.
 */
async function finishBatch(
  duck: DuckDBConnection,
  batch: Batch,
  recordsSoFar: number,
  hooks: LoadHooks,
): Promise<number> {
  const { expected, context: ctx } = batch;
  let records = recordsSoFar;
  if (records === expected) return records;
  const all = builderOf(batch, RECORD_KINDS);
  const kinds = await duck.runAndReadAll(all.kindCounts());
  for (const row of kinds.getRowObjectsJS()) {
    const kind = row.kind as RecordKind | null;
    if (!kind || kind === ctx.fileKind || Number(row.records) === 0) continue;
    const q = builderOf(batch, [kind]);
    records += await runTracked(
      duck,
      `INSERT INTO ${KIND_TABLES[kind]}\n${q.records(kind, 'fast')}`,
      ctx.fileKind ? undefined : hooks.onFraction,
      hooks.signal,
    );
    if (batch.census && batch.census.suspects > 0)
      records += await runTracked(
        duck,
        `INSERT INTO ${KIND_TABLES[kind]}\n${q.records(kind, 'suspects')}`,
        undefined,
        hooks.signal,
      );
  }
  const rejected = await runTracked(
    duck,
    `INSERT INTO ${REJECTS_TABLE} SELECT source_file_id, file, line, row, reason, excerpt, 'rejected' FROM (${all.problems()})`,
    undefined,
    hooks.signal,
  );
  if (records + rejected !== expected) {
    throw new AuditWsError(
      'INTERNAL',
      `${batch.files.map((f) => f.file.path).join(', ')}: ${expected} records expected, ${records} loaded and ${rejected} rejected; the import is stopped`,
    );
  }
  return records;
}
