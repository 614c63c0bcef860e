/**
 * What every query result says about the rows it rests on: a reference to each row (its table, chain
 * position, and where it was read: file and line or row), and whether that row passed the case's
 * latest verification run (saved in case.sqlite by the verification service: verification_runs and
 * findings, joined on stream + seq, or on the file for findings about a whole file). Nothing is stored
 * here; a case without a run, or a row imported after the run started, is `not-verified`.
 */
import type Database from 'better-sqlite3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from './db.ts';
import type { Json, Row, SqlParams } from './db.ts';

export type RowTable = 'decisions' | 'lifecycle_events' | 'reviews' | 'outcomes';

/** Where a result row comes from: enough to find it in the evidence and in the source archive. */
export interface RowRef {
  table: RowTable;
  stream: string | null;
  seq: number | null;
  /** Path of the data file inside its archive, and the 1-based line (JSONL) or row (Parquet). */
  sourceFile: string | null;
  line: number | null;
  row: number | null;
  importId: number | null;
  /** The record's `hash` member as written (what verification re-computes). */
  hash: string | null;
}

export type IntegrityStatus = 'passed' | 'failed' | 'warning' | 'unverifiable' | 'not-verified';

export interface IntegrityCheck {
  check: string;
  status: string;
  message: string;
}

export interface CheckpointRef {
  label: string;
  path: string;
  firstSeq: number;
  lastSeq: number;
}

export interface Integrity {
  status: IntegrityStatus;
  /** The verification run judged against (null: none yet). */
  runId: number | null;
  /** The run's findings about this row or its file (pass findings are not stored, so only problems). */
  checks: IntegrityCheck[];
  /** The checkpoint whose seq range covers the row, when the case holds the stream's checkpoints. */
  checkpoint: CheckpointRef | null;
}

/** Integrity of a set of rows (an aggregate, a filter's hits). */
export interface IntegritySummary {
  status: IntegrityStatus;
  runId: number | null;
  rows: number;
  failed: number;
  warning: number;
  unverifiable: number;
  notVerified: number;
}

/** SELECT-list of the reference columns of an evidence table aliased `a` (what refOf reads back). */
export function refColumnsSql(a: string): string {
  return `${a}.stream AS ref_stream, ${a}.seq AS ref_seq, ${a}.source_file AS ref_source_file, ${a}.line AS ref_line, ${a}."row" AS ref_row, ${a}.import_id AS ref_import_id, ${a}.hash AS ref_hash`;
}

const num = (v: Json | undefined): number | null =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : null;
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

export function refOf(table: RowTable, r: Row): RowRef {
  return {
    table,
    stream: str(r.ref_stream),
    seq: num(r.ref_seq),
    sourceFile: str(r.ref_source_file),
    line: num(r.ref_line),
    row: num(r.ref_row),
    importId: num(r.ref_import_id),
    hash: str(r.ref_hash),
  };
}

/** Removes the reference columns from a row once refOf has read them. */
export function withoutRefColumns(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) if (!k.startsWith('ref_')) out[k] = v;
  return out;
}

interface FindingRow {
  id: number;
  check_id: string;
  status: string;
  stream: string | null;
  seq: number | null;
  file: string | null;
  message: string;
  details: string | null;
}

interface Failure {
  stream: string | null;
  seqFrom: number | null;
  seqTo: number | null;
  file: string | null;
  status: string;
  check: string;
  message: string;
}

const STATUS_RANK: Record<IntegrityStatus, number> = {
  failed: 4,
  unverifiable: 3,
  warning: 2,
  'not-verified': 1,
  passed: 0,
};

function statusOfFinding(s: string): IntegrityStatus {
  if (s === 'fail') return 'failed';
  if (s === 'unverifiable') return 'unverifiable';
  if (s === 'warn') return 'warning';
  return 'passed';
}

export function worseStatus(a: IntegrityStatus, b: IntegrityStatus): IntegrityStatus {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;
}

function latestRun(sqlite: Database.Database | undefined): { id: number; started_at: string } | undefined {
  try {
    return sqlite
      ?.prepare('SELECT id, started_at FROM verification_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1')
      .get() as { id: number; started_at: string } | undefined;
  } catch {
    // a case.sqlite without the verification tables (an older schema) has no run
    return undefined;
  }
}

/** The id of the case's latest finished verification run, or null. */
export function latestRunId(sqlite: Database.Database | undefined): number | null {
  return latestRun(sqlite)?.id ?? null;
}

/**
 * The latest verification run of a case and its problem findings, read once per query context. A
 * case.sqlite without the verification tables (an older schema) reads as "no run".
 */
export class IntegrityIndex {
  readonly runId: number | null;
  private readonly runStartedAt: string | null;
  private readonly failures: Failure[] = [];
  private readonly byStream = new Map<string, Failure[]>();
  private readonly byFile = new Map<string, Failure[]>();
  /** import id -> finished_at, for "imported after the run" */
  private readonly importsFinished = new Map<number, string | null>();
  private readonly checkpoints = new Map<string, CheckpointRef[]>();
  /**
   * The findings that can match evidence rows: those on a stream's seq range, and those on a file
   * rows are read from (a data file). A finding on a checkpoint's signature or time-stamp file names
   * no row, and would otherwise make every aggregate join all its rows to the findings for nothing.
   */
  private readonly rowFailures: Failure[] = [];
  private duckTable: string | undefined;

  constructor(sqlite: Database.Database | undefined) {
    const run = latestRun(sqlite);
    this.runId = run?.id ?? null;
    this.runStartedAt = run?.started_at ?? null;
    if (!sqlite) return;
    if (run) {
      const rows = sqlite
        .prepare(
          "SELECT id, check_id, status, stream, seq, file, message, details FROM findings WHERE run_id = ? AND status <> 'pass'",
        )
        .all(run.id) as FindingRow[];
      for (const f of rows) {
        let seqTo = f.seq;
        if (f.details) {
          try {
            const d = JSON.parse(f.details) as { seqEnd?: unknown };
            if (typeof d.seqEnd === 'number' && f.seq !== null) seqTo = d.seqEnd;
          } catch {
            // details that are not JSON carry nothing about the range
          }
        }
        const failure: Failure = {
          stream: f.stream,
          seqFrom: f.seq,
          seqTo,
          file: f.file,
          status: f.status,
          check: f.check_id,
          message: f.message,
        };
        this.failures.push(failure);
        if (f.stream !== null && f.seq !== null) push(this.byStream, f.stream, failure);
        else if (f.file !== null) push(this.byFile, f.file, failure);
      }
    }
    try {
      for (const r of sqlite.prepare('SELECT id, finished_at FROM imports').all() as {
        id: number;
        finished_at: string | null;
      }[]) {
        this.importsFinished.set(r.id, r.finished_at);
      }
      const cps = sqlite
        .prepare("SELECT path, stream, content FROM source_files WHERE role = 'checkpoint' AND content IS NOT NULL")
        .all() as {
        path: string;
        stream: string | null;
        content: Buffer;
      }[];
      for (const c of cps) {
        try {
          const v = JSON.parse(c.content.toString('utf8')) as {
            stream?: unknown;
            label?: unknown;
            firstSeq?: unknown;
            lastSeq?: unknown;
          };
          const stream = typeof v.stream === 'string' ? v.stream : c.stream;
          if (stream && typeof v.firstSeq === 'number' && typeof v.lastSeq === 'number') {
            push(this.checkpoints, stream, {
              label: String(v.label ?? ''),
              path: c.path,
              firstSeq: v.firstSeq,
              lastSeq: v.lastSeq,
            });
          }
        } catch {
          // a checkpoint that is not JSON is verification's finding, not ours
        }
      }
    } catch {
      // an older case.sqlite: no imports / source_files detail to add
    }
    let dataFiles: Set<string> | undefined;
    try {
      dataFiles = new Set(
        (sqlite.prepare("SELECT DISTINCT path FROM source_files WHERE role = 'data'").all() as { path: string }[]).map(
          (r) => r.path,
        ),
      );
    } catch {
      // without the record of the source files, every finding on a file is taken to name rows
    }
    for (const f of this.failures) {
      if (f.stream !== null && f.seqFrom !== null) this.rowFailures.push(f);
      else if (f.file !== null && (dataFiles === undefined || dataFiles.has(f.file))) this.rowFailures.push(f);
    }
  }

  /** Whether a row of this import can have been judged by the run (imported before it started). */
  private importedBeforeRun(importId: number | null): boolean {
    if (this.runStartedAt === null) return false;
    if (importId === null) return true;
    const finished = this.importsFinished.get(importId);
    return finished === undefined || finished === null ? true : finished <= this.runStartedAt;
  }

  checkpointOf(ref: RowRef): CheckpointRef | null {
    if (ref.stream === null || ref.seq === null) return null;
    const list = this.checkpoints.get(ref.stream);
    return list?.find((c) => ref.seq! >= c.firstSeq && ref.seq! <= c.lastSeq) ?? null;
  }

  of(ref: RowRef): Integrity {
    const checkpoint = this.checkpointOf(ref);
    if (this.runId === null || !this.importedBeforeRun(ref.importId))
      return { status: 'not-verified', runId: this.runId, checks: [], checkpoint };
    const hits: Failure[] = [];
    if (ref.stream !== null && ref.seq !== null) {
      for (const f of this.byStream.get(ref.stream) ?? [])
        if (ref.seq >= f.seqFrom! && ref.seq <= f.seqTo!) hits.push(f);
    }
    if (ref.sourceFile !== null) hits.push(...(this.byFile.get(ref.sourceFile) ?? []));
    let status: IntegrityStatus = 'passed';
    for (const h of hits) status = worseStatus(status, statusOfFinding(h.status));
    return {
      status,
      runId: this.runId,
      checks: hits.map((h) => ({ check: h.check, status: h.status, message: h.message })),
      checkpoint,
    };
  }

  /** Integrity of a whole file the case keeps (an explanation artefact): the run's findings about that path. */
  ofFile(file: string): Integrity {
    if (this.runId === null) return { status: 'not-verified', runId: null, checks: [], checkpoint: null };
    const hits = this.byFile.get(file) ?? [];
    let status: IntegrityStatus = 'passed';
    for (const h of hits) status = worseStatus(status, statusOfFinding(h.status));
    return {
      status,
      runId: this.runId,
      checks: hits.map((h) => ({ check: h.check, status: h.status, message: h.message })),
      checkpoint: null,
    };
  }

  /**
   * Counts, over the rows a query rests on (`scopeSql`: a SELECT of stream, seq, source_file, line, "row"
   * and import_id, bound with `params`), how many the run flagged or never saw. `knownRows`, the number
   * of those rows when the caller has counted them, spares a scan when no row needs judging.
   */
  async summarize(
    duck: DuckDBConnection,
    scopeSql: string,
    params: SqlParams = {},
    knownRows?: number,
  ): Promise<IntegritySummary> {
    const base = { runId: this.runId, failed: 0, warning: 0, unverifiable: 0, notVerified: 0 };
    if (this.runId === null) {
      const rows = knownRows ?? (await countRows(duck, scopeSql, params));
      return { ...base, status: rows > 0 ? 'not-verified' : 'passed', rows, notVerified: rows };
    }
    const lateImports = [...this.importsFinished.keys()].filter((id) => !this.importedBeforeRun(id));
    // nothing to look for row by row: the caller's count is the answer
    if (knownRows !== undefined && this.rowFailures.length === 0 && lateImports.length === 0) {
      return { ...base, status: 'passed', rows: knownRows };
    }
    // import ids are numbers read from case.sqlite, never user text
    const late =
      lateImports.length > 0 ? `import_id IN (${lateImports.map((n) => String(Math.trunc(n))).join(', ')})` : 'false';
    let sql = `SELECT count(*) AS rows, count(*) FILTER (WHERE ${late}) AS not_verified, 0 AS failed, 0 AS warning, 0 AS unverifiable FROM (${scopeSql})`;
    if (this.rowFailures.length > 0) {
      // Findings are few: join them to the rows (by stream and seq range, or by file) and judge only the
      // rows that match, each once with its worst finding.
      const table = await this.failureTable(duck);
      sql = `WITH s AS (${scopeSql}),
        hits AS (
          SELECT s.stream, s.seq, s.source_file, s.line, s."row", s.import_id, f.rank FROM s JOIN ${table} f
            ON f.seq_from IS NOT NULL AND s.stream = f.stream AND s.seq BETWEEN f.seq_from AND f.seq_to
          UNION ALL
          SELECT s.stream, s.seq, s.source_file, s.line, s."row", s.import_id, f.rank FROM s JOIN ${table} f
            ON f.seq_from IS NULL AND s.source_file = f.file
        ),
        judged AS (SELECT max(rank) AS worst FROM hits WHERE NOT (${late}) GROUP BY stream, seq, source_file, line, "row", import_id)
        SELECT (SELECT count(*) FROM s) AS rows, (SELECT count(*) FROM s WHERE ${late}) AS not_verified,
          count(*) FILTER (WHERE worst = 3) AS failed, count(*) FILTER (WHERE worst = 2) AS unverifiable, count(*) FILTER (WHERE worst = 1) AS warning
        FROM judged`;
    }
    const [r] = await queryRows(duck, sql, params);
    const counts = {
      rows: Number(r.rows),
      notVerified: Number(r.not_verified),
      failed: Number(r.failed),
      warning: Number(r.warning),
      unverifiable: Number(r.unverifiable),
    };
    let status: IntegrityStatus = 'passed';
    if (counts.notVerified > 0) status = 'not-verified';
    if (counts.warning > 0) status = worseStatus(status, 'warning');
    if (counts.unverifiable > 0) status = worseStatus(status, 'unverifiable');
    if (counts.failed > 0) status = 'failed';
    return { ...base, ...counts, status };
  }

  /** The run's problem findings as a DuckDB temp table (read-only cases allow temp tables), made once per run. */
  private async failureTable(duck: DuckDBConnection): Promise<string> {
    if (this.duckTable) return this.duckTable;
    const name = `q_integrity_run_${Math.trunc(this.runId ?? 0)}`;
    const rank: Record<string, number> = { fail: 3, unverifiable: 2, warn: 1 };
    const data = JSON.stringify(
      this.rowFailures.map((f) => ({
        stream: f.stream,
        seq_from: f.seqFrom,
        seq_to: f.seqTo,
        file: f.file,
        rank: rank[f.status] ?? 0,
      })),
    );
    await queryRows(
      duck,
      `CREATE TEMP TABLE IF NOT EXISTS ${name} AS SELECT unnest(json_transform($data, '[{"stream":"VARCHAR","seq_from":"BIGINT","seq_to":"BIGINT","file":"VARCHAR","rank":"INTEGER"}]'), recursive := true)`,
      { data },
    );
    this.duckTable = name;
    return name;
  }
}

async function countRows(duck: DuckDBConnection, scopeSql: string, params: SqlParams): Promise<number> {
  const [r] = await queryRows(duck, `SELECT count(*) AS n FROM (${scopeSql})`, params);
  return Number(r.n);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
