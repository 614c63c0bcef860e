/**
 * A case on disk and the one object that owns its files while it is open. A case is a folder holding
 * `case.sqlite` (what the investigator did: imports, source files, rejects, custody log, later findings
 * and annotations) and `evidence.duckdb` (what the archives say). A CaseHandle holds both connections;
 * nothing else opens them. Opened for writing it also holds the case lock (lock.ts), applies pending
 * schema migrations, and cleans up after an import whose process died (status `running`: its rows are
 * removed from evidence.duckdb and it is marked `interrupted`). Opened for reading it takes no lock and
 * opens DuckDB READ_ONLY, so nothing can change.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RECORD_KINDS } from '../archive/kinds.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { removeOrphanCopies } from './source-copies.ts';
import { appendCustody } from './custody.ts';
import { diskError, isDamagedDatabase, isDiskFull, isReadOnlyFs, isWritable } from './fs-errors.ts';
import type { CustodyEntry } from './custody.ts';
import { EVIDENCE_MIGRATIONS, EXPLANATIONS_TABLE, KIND_TABLES } from './evidence-schema.ts';
import { LOCK_FILE, acquireCaseLock, describeOwner } from './lock.ts';
import type { AcquiredLock } from './lock.ts';
import { SCHEMA_VERSION, migrate, schemaVersion } from './migrations.ts';

export const CASE_SQLITE = 'case.sqlite';
export const EVIDENCE_DUCKDB = 'evidence.duckdb';
export const CASE_TMP = 'tmp';

export interface CaseInfo {
  name: string;
  slug: string;
  description?: string;
  createdAt: string;
  createdBy: string;
  toolVersion: string;
  dir: string;
  /** Set for a case that refuses imports and re-verification (one opened from an evidence package): why. */
  readOnly?: string;
  /** Where a read-only case's evidence came from. */
  origin?: CaseOrigin;
}

/** The evidence package a read-only case was opened from (src/package/open-case.ts). */
export interface CaseOrigin {
  kind: 'evidence-package';
  /** The package as it was opened (absolute path). */
  file: string;
  /** SHA-256 of the package file (of SHA256SUMS when a folder was opened). */
  sha256: string;
  /** The copy of the package kept in the case folder, relative to it. */
  kept: string;
  openedAt: string;
  openedBy: string;
  /** What package.json says (self-asserted until verified): the case it was cut from, its investigator, when. */
  sourceCase?: string;
  investigator?: string;
  createdAt?: string;
}

export interface DuckDbSettings {
  /** DuckDB memory limit, e.g. '1GB' (default: AUDIT_WS_DUCKDB_MEMORY or 1GB). */
  memoryLimit?: string;
  /** Worker threads (default: AUDIT_WS_DUCKDB_THREADS or the number of CPUs, at most 4). */
  threads?: number;
}

export interface OpenCaseOptions {
  mode: 'write' | 'read';
  /** Investigator recorded in the custody log (writers only). */
  actor?: string;
  /** What the lock says the case is open for, e.g. "audit-ws import". */
  purpose?: string;
  duckdb?: DuckDbSettings;
}

/** DuckDB's own default for max_vacuum_tasks. */
const DUCKDB_DEFAULT_VACUUM_TASKS = 100;

function duckdbConfig(dir: string, mode: 'write' | 'read', s: DuckDbSettings = {}): Record<string, string> {
  const threads = s.threads ?? (Number(process.env.AUDIT_WS_DUCKDB_THREADS) || Math.min(4, os.cpus().length || 1));
  const config: Record<string, string> = {
    threads: String(threads),
    memory_limit: s.memoryLimit ?? process.env.AUDIT_WS_DUCKDB_MEMORY ?? '1GB',
    // Row order inside a table carries no meaning here (every row has its file and line), and keeping
    // it would serialise the bulk loads.
    preserve_insertion_order: 'false',
    enable_external_access: 'true',
  };
  if (mode === 'read') config.access_mode = 'READ_ONLY';
  else {
    config.temp_directory = path.join(dir, CASE_TMP, 'duckdb');
    // A checkpoint would otherwise merge the partly filled row groups each bulk load leaves (one per
    // thread) by rewriting them: 3 s of the 15 s an import of 1M decisions takes. Rows are deleted only
    // when a crashed import is cleaned up, which turns vacuuming back on for its own checkpoint.
    config.max_vacuum_tasks = '0';
  }
  return config;
}

function isDuckDbLockError(err: unknown): boolean {
  return err instanceof Error && /Could not set lock on file|Conflicting lock/i.test(err.message);
}

interface CaseInfoRow {
  name: string;
  slug: string;
  description: string | null;
  created_at: string;
  created_by: string;
  tool_version: string;
  /** Columns of schema version 3 (absent from older case.sqlite files opened read-only). */
  read_only?: string | null;
  origin?: string | null;
}

/** The evidence connection of each open case, by its case.sqlite (see evidenceConnectionFor). */
const evidenceBySqlite = new WeakMap<Database.Database, DuckDBConnection>();

/**
 * The evidence.duckdb connection of the open case whose case.sqlite this is: for readers that are handed
 * case.sqlite alone (src/query/explanations.ts reads explanation artefacts from the evidence).
 */
export function evidenceConnectionFor(sqlite: Database.Database | undefined): DuckDBConnection | undefined {
  return sqlite ? evidenceBySqlite.get(sqlite) : undefined;
}

export class CaseHandle {
  readonly notices: string[] = [];
  private closed = false;
  /** Connections opened with connect(), closed with the handle. */
  private readonly extraConnections: DuckDBConnection[] = [];

  private constructor(
    readonly dir: string,
    readonly mode: 'write' | 'read',
    readonly actor: string,
    readonly sqlite: Database.Database,
    private readonly instance: DuckDBInstance,
    /** The connection every evidence query of this handle runs on. */
    readonly duck: DuckDBConnection,
    private readonly lock: AcquiredLock | undefined,
  ) {
    evidenceBySqlite.set(sqlite, duck);
  }

  /** Opens an existing case folder. */
  static async open(dir: string, options: OpenCaseOptions): Promise<CaseHandle> {
    const sqlitePath = path.join(dir, CASE_SQLITE);
    const duckPath = path.join(dir, EVIDENCE_DUCKDB);
    if (!existsSync(sqlitePath) || !existsSync(duckPath)) {
      throw new AuditWsError('NOT_FOUND', `${dir}: not a case folder (no ${CASE_SQLITE} / ${EVIDENCE_DUCKDB})`, {
        file: dir,
      });
    }
    const label = path.basename(dir);
    const actor = options.actor ?? 'unknown';
    let lock: AcquiredLock | undefined;
    let sqlite: Database.Database | undefined;
    let instance: DuckDBInstance | undefined;
    // Which file an error belongs to, so that the message can name it (explainOpenError).
    let stage: OpenStage = 'lock';
    try {
      if (options.mode === 'write') {
        lock = acquireCaseLock(path.join(dir, LOCK_FILE), label, options.purpose ?? 'audit-ws');
        mkdirSync(path.join(dir, CASE_TMP), { recursive: true });
        // The scratch files of a writer that died (kill -9, power cut) are of no use to anyone.
        if (lock.tookOverFrom) clearScratch(path.join(dir, CASE_TMP));
      }
      stage = 'sqlite';
      sqlite = openSqlite(sqlitePath, options.mode, 'full');
      stage = 'duckdb';
      try {
        instance = await DuckDBInstance.create(duckPath, duckdbConfig(dir, options.mode, options.duckdb));
      } catch (err) {
        if (isDuckDbLockError(err)) {
          const holder = readLockOwnerText(dir);
          throw new AuditWsError(
            'CASE_LOCKED',
            `case "${label}" is being written by ${holder}; try again when it has finished`,
            {},
          );
        }
        throw err;
      }
      stage = 'evidence';
      const duck = await instance.connect();
      await duck.run("SET TimeZone = 'UTC'");
      // Progress of long statements (read by the importer), without DuckDB drawing its own bar.
      await duck.run('SET enable_progress_bar = true');
      await duck.run('SET enable_progress_bar_print = false');
      const handle = new CaseHandle(dir, options.mode, actor, sqlite, instance, duck, lock);
      openedCaseDirs.add(path.resolve(dir));
      if (lock?.tookOverFrom) {
        handle.notices.push(
          `took over the lock left by ${describeOwner(lock.tookOverFrom)}, which is no longer running`,
        );
      }
      if (options.mode === 'write') {
        stage = 'sqlite';
        migrate(sqlite);
        stage = 'evidence';
        await migrateEvidence(duck);
        await handle.recoverInterruptedImports();
      } else if (schemaVersion(sqlite) < SCHEMA_VERSION) {
        handle.notices.push(
          `case.sqlite is at schema version ${schemaVersion(sqlite)}; opening the case for writing upgrades it to ${SCHEMA_VERSION}`,
        );
      }
      return handle;
    } catch (err) {
      instance?.closeSync();
      sqlite?.close();
      lock?.release();
      throw explainOpenError(err, dir, stage, options.mode);
    }
  }

  /**
   * Creates the files of a new case in `dir` (which must not exist yet): built in a sibling folder and
   * renamed into place, so a crash never leaves a half-made case that looks real.
   */
  static async create(
    dir: string,
    init: { name: string; slug: string; description?: string; actor: string },
    options: Omit<OpenCaseOptions, 'mode' | 'actor'> = {},
  ): Promise<CaseHandle> {
    const staging = path.join(path.dirname(dir), `.creating-${path.basename(dir)}-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      const sqlite = openSqlite(path.join(staging, CASE_SQLITE), 'write', 'none');
      try {
        migrate(sqlite);
        sqlite.transaction(() => {
          const createdAt = new Date().toISOString();
          sqlite
            .prepare(
              'INSERT INTO case_info (id, name, slug, description, created_at, created_by, tool_version) VALUES (1, ?, ?, ?, ?, ?, ?)',
            )
            .run(init.name, init.slug, init.description ?? null, createdAt, init.actor, TOOL_VERSION);
          appendCustody(sqlite, init.actor, 'case.created', {
            name: init.name,
            slug: init.slug,
            toolVersion: TOOL_VERSION,
          });
        })();
      } finally {
        sqlite.close();
      }
      const instance = await DuckDBInstance.create(path.join(staging, EVIDENCE_DUCKDB), { threads: '1' });
      try {
        const duck = await instance.connect();
        await migrateEvidence(duck);
        await duck.run('CHECKPOINT');
        duck.closeSync();
      } finally {
        instance.closeSync();
      }
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new AuditWsError('BAD_USAGE', `a case folder ${dir} already exists`, { file: dir });
      }
      throw err;
    }
    return CaseHandle.open(dir, { ...options, mode: 'write', actor: init.actor });
  }

  info(): CaseInfo {
    return readCaseInfo(this.sqlite, this.dir);
  }

  /** Appends to the custody log (in its own transaction unless called inside one). */
  custody(action: string, details: Record<string, unknown>): CustodyEntry {
    this.assertWritable();
    try {
      return appendCustody(this.sqlite, this.actor, action, details);
    } catch (err) {
      throw diskError(err, path.join(this.dir, CASE_SQLITE), `recording "${action}" in the custody log`);
    }
  }

  /** A private scratch folder inside the case (removed with the case). */
  tempDir(): string {
    const dir = path.join(this.dir, CASE_TMP);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  assertWritable(): void {
    if (this.closed) throw new AuditWsError('BAD_USAGE', `case ${path.basename(this.dir)} is closed`);
    if (this.mode !== 'write') throw new AuditWsError('BAD_USAGE', `case ${path.basename(this.dir)} is open read-only`);
  }

  /**
   * Refuses what a read-only case (one opened from an evidence package) cannot do: `action` completes the
   * sentence "it cannot ...", e.g. "import archives". Annotations and saved views remain allowed.
   */
  refuseIfReadOnly(action: string): void {
    const info = this.info();
    if (info.readOnly === undefined) return;
    throw new AuditWsError(
      'UNSUPPORTED',
      `case "${info.name}" is read-only, so it cannot ${action}: ${info.readOnly}`,
      {
        readOnly: true,
      },
    );
  }

  /**
   * Another connection to the case's evidence, with the session settings of `duck`, for work that must not wait
   * behind it (the explorer counts on one while its rows are read on `duck`). Closed with the handle.
   */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new AuditWsError('CANCELLED', `case "${path.basename(this.dir)}" was closed`);
    const connection = await this.instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    this.extraConnections.push(connection);
    return connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.mode === 'write') {
        // Fold the WAL into the database file so that read-only opens see one self-contained file.
        await this.duck.run('CHECKPOINT').catch(() => undefined);
      }
    } finally {
      for (const connection of this.extraConnections) connection.closeSync();
      this.duck.closeSync();
      this.instance.closeSync();
      this.sqlite.close();
      this.lock?.release();
    }
  }

  /**
   * An import row still `running` while we hold the lock belongs to a process that died. Its evidence
   * rows are removed (DuckDB may have committed just before the crash, case.sqlite not yet), then it is
   * marked interrupted. Rows of any import that case.sqlite does not know as done are removed too.
   */
  private async recoverInterruptedImports(): Promise<void> {
    const running = this.sqlite
      .prepare("SELECT id, pid, host, started_at FROM imports WHERE status = 'running'")
      .all() as {
      id: number;
      pid: number | null;
      host: string | null;
      started_at: string;
    }[];
    const done = new Set(
      (this.sqlite.prepare("SELECT id FROM imports WHERE status = 'done'").all() as { id: number }[]).map((r) => r.id),
    );
    const stray = new Set<number>(running.map((r) => r.id));
    for (const kind of RECORD_KINDS) {
      const ids = (await this.duck.runAndReadAll(`SELECT DISTINCT import_id FROM ${KIND_TABLES[kind]}`)).getRowsJS();
      for (const [id] of ids) if (id !== null && !done.has(Number(id))) stray.add(Number(id));
    }
    const explained = (
      await this.duck.runAndReadAll(`SELECT DISTINCT import_id FROM ${EXPLANATIONS_TABLE}`)
    ).getRowsJS();
    for (const [id] of explained) if (id !== null && !done.has(Number(id))) stray.add(Number(id));
    if (stray.size > 0) {
      const list = [...stray].join(', ');
      for (const kind of RECORD_KINDS)
        await this.duck.run(`DELETE FROM ${KIND_TABLES[kind]} WHERE import_id IN (${list})`);
      await this.duck.run(`DELETE FROM ${EXPLANATIONS_TABLE} WHERE import_id IN (${list})`);
      // This checkpoint gives the deleted rows' space back (vacuuming is off otherwise: duckdbConfig).
      await this.duck.run(`SET max_vacuum_tasks = ${DUCKDB_DEFAULT_VACUUM_TASKS}`);
      try {
        await this.duck.run('CHECKPOINT');
      } finally {
        await this.duck.run('SET max_vacuum_tasks = 0');
      }
    }
    // Copies of source files no finished import names: a crash after they were moved into place.
    removeOrphanCopies(this.dir, this.sqlite);
    const finishedAt = new Date().toISOString();
    for (const r of running) {
      const who = r.pid
        ? `process ${r.pid}${r.host && r.host !== os.hostname() ? ` on ${r.host}` : ''}`
        : 'the importing process';
      const error = `${who} ended before the import finished (crash or kill); the case holds the data from before it`;
      this.sqlite.transaction(() => {
        this.sqlite
          .prepare("UPDATE imports SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ?")
          .run(finishedAt, error, r.id);
        appendCustody(this.sqlite, this.actor, 'import.interrupted', {
          importId: r.id,
          startedAt: r.started_at,
          pid: r.pid,
        });
      })();
      this.notices.push(`import #${r.id} (started ${r.started_at}) was interrupted: ${error}`);
    }
  }
}

/**
 * How much of an existing case.sqlite is checked on opening: 'full' runs PRAGMA quick_check (page and b-tree
 * structure, a few ms for a usual case) so that a damaged file is refused before anything is read from it or
 * written to it; 'schema' reads the header and makes sure the case tables are there (an emptied file is a valid,
 * empty SQLite database: opened for writing it would be migrated into a blank case, and the evidence of every
 * import it no longer knows removed); 'none' is for a new file.
 */
type SqliteCheck = 'none' | 'schema' | 'full';

/** Opens case.sqlite; errors name the file (explainSqliteError). */
function openSqlite(file: string, mode: 'write' | 'read', check: SqliteCheck): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, mode === 'read' ? { readonly: true, fileMustExist: true } : {});
  } catch (err) {
    if (mode === 'read' && !isWritable(path.dirname(file))) return openSqliteSnapshot(file, check);
    throw explainSqliteError(err, file);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (mode === 'write') {
      db.pragma('journal_mode = WAL');
      // The custody log must survive a power cut once an action is reported done.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    }
    checkSqlite(db, file, check);
    return db;
  } catch (err) {
    db.close();
    // A WAL database cannot be read in place from a read-only folder (SQLite must create case.sqlite-shm).
    if (mode === 'read' && (err as { code?: string }).code === 'SQLITE_CANTOPEN' && !isWritable(path.dirname(file)))
      return openSqliteSnapshot(file, check);
    throw explainSqliteError(err, file);
  }
}

function checkSqlite(db: Database.Database, file: string, check: SqliteCheck): void {
  if (check === 'none') return;
  const tables = db
    .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('case_info', 'custody_log')")
    .get() as {
    n: number;
  };
  if (tables.n !== 2) {
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: holds no case (the file is empty or not a case database); ${DAMAGED_ADVICE}`,
      { file, reason: 'damaged' },
    );
  }
  if (check !== 'full') return;
  const result = db.pragma('quick_check(1)', { simple: true });
  if (result !== 'ok')
    throw explainSqliteError(Object.assign(new Error(String(result)), { code: 'SQLITE_CORRUPT' }), file);
}

/**
 * case.sqlite of a case on read-only media: a copy (with its -wal, if any) in a private temp folder, opened
 * read-only and removed on close. Nothing can change the original meanwhile, so the copy is exact.
 */
function openSqliteSnapshot(file: string, check: SqliteCheck): Database.Database {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-readonly-case-'));
  try {
    const copy = path.join(tmp, CASE_SQLITE);
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new Database(copy, { readonly: true, fileMustExist: true });
    try {
      checkSqlite(db, file, check);
    } catch (err) {
      db.close();
      throw err;
    }
    const close = db.close.bind(db);
    db.close = () => {
      close();
      rmSync(tmp, { recursive: true, force: true });
      return db;
    };
    return db;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw explainSqliteError(err, file);
  }
}

const DAMAGED_ADVICE = 'restore the case folder from a backup, or create a new case and import the archives again';

function explainSqliteError(err: unknown, file: string): unknown {
  if (err instanceof AuditWsError) return err;
  if (isDamagedDatabase(err)) {
    return new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: the case database is damaged (${(err as Error).message}); ${DAMAGED_ADVICE}`,
      { file, reason: 'damaged' },
      { cause: err },
    );
  }
  return diskError(err, file, 'opening the case');
}

/** Errors of CaseHandle.open as one sentence naming the folder or file and what to do. */
/** What CaseHandle.open was doing: taking the lock, opening case.sqlite, opening or then using evidence.duckdb. */
type OpenStage = 'lock' | 'sqlite' | 'duckdb' | 'evidence';

function explainOpenError(err: unknown, dir: string, stage: OpenStage, mode: 'write' | 'read'): unknown {
  if (err instanceof AuditWsError) return err;
  if (mode === 'write' && isReadOnlyFs(err)) {
    return new AuditWsError(
      'BAD_USAGE',
      `case folder ${dir} is read-only (${firstLine(err)}), so the case cannot be opened for writing (import, verify, export, report, package); it can still be read (search, timeline, sql, custody, case show). Copy the folder to a writable disk to work on it`,
      { file: dir, reason: 'read-only' },
      { cause: err },
    );
  }
  if (isDiskFull(err)) return diskError(err, dir, 'opening the case for writing');
  if (stage === 'sqlite') return explainSqliteError(err, path.join(dir, CASE_SQLITE));
  if (stage === 'duckdb' || (stage === 'evidence' && isDamagedDatabase(err))) return damagedEvidence(err, dir);
  return err;
}

/** A damaged evidence.duckdb as one sentence naming the file and what to do (at open time or found by a query). */
function damagedEvidence(err: unknown, dir: string): AuditWsError {
  const file = path.join(dir, EVIDENCE_DUCKDB);
  return new AuditWsError(
    'UNREADABLE_INPUT',
    `${file}: the evidence database cannot be read (${firstLine(err)}); the case is damaged: restore the case folder from a backup, or create a new case and import the archives again (case.sqlite still lists them: audit-ws case show)`,
    { file, reason: 'damaged' },
    { cause: err },
  );
}

/**
 * Damage found after opening, by a query of the case in `dir`: DuckDB reads a block only when a query needs it
 * (its checksum error then names no file) and SQLite a page likewise. Such an error becomes the open-time
 * sentence naming evidence.duckdb or case.sqlite; any other error is returned unchanged.
 */
export function explainCaseError(err: unknown, dir: string): unknown {
  if (err instanceof AuditWsError || !isDamagedDatabase(err)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_'))
    return explainSqliteError(err, path.join(dir, CASE_SQLITE));
  return damagedEvidence(err, dir);
}

/** Case folders opened by this process, latest last (explainCaseError for a CLI error that reaches the top). */
const openedCaseDirs = new Set<string>();

/** The case folder this process opened, when it opened exactly one (a CLI command); else undefined. */
export function onlyOpenedCaseDir(): string | undefined {
  return openedCaseDirs.size === 1 ? [...openedCaseDirs][0] : undefined;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** Empties a case's scratch folder (what a writer that died left there). */
function clearScratch(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
}

async function migrateEvidence(duck: DuckDBConnection): Promise<void> {
  await duck.run(
    'CREATE TABLE IF NOT EXISTS evidence_meta (version INTEGER PRIMARY KEY, applied_at VARCHAR, description VARCHAR)',
  );
  const rows = (await duck.runAndReadAll('SELECT coalesce(max(version), 0) FROM evidence_meta')).getRowsJS();
  const current = Number(rows[0][0]);
  for (const m of EVIDENCE_MIGRATIONS) {
    if (m.version <= current) continue;
    await duck.run('BEGIN TRANSACTION');
    try {
      for (const sql of m.sql) await duck.run(sql);
      await duck.run(
        `INSERT INTO evidence_meta VALUES (${m.version}, '${new Date().toISOString()}', '${m.description.replace(/'/g, "''")}')`,
      );
      await duck.run('COMMIT');
    } catch (err) {
      await duck.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

export function readCaseInfo(sqlite: Database.Database, dir: string): CaseInfo {
  const row = sqlite.prepare('SELECT * FROM case_info WHERE id = 1').get() as CaseInfoRow | undefined;
  if (!row)
    throw new AuditWsError('UNREADABLE_INPUT', `${path.join(dir, CASE_SQLITE)}: holds no case information`, {
      file: dir,
    });
  const info: CaseInfo = {
    name: row.name,
    slug: row.slug,
    createdAt: row.created_at,
    createdBy: row.created_by,
    toolVersion: row.tool_version,
    dir,
  };
  if (row.description) info.description = row.description;
  if (row.read_only) info.readOnly = row.read_only;
  if (row.origin) {
    try {
      info.origin = JSON.parse(row.origin) as CaseOrigin;
    } catch {
      // an unreadable origin leaves the case read-only (read_only says so) without the details
    }
  }
  return info;
}

/** Marks a case read-only (call inside a case.sqlite transaction, with the custody entry that records it). */
export function markReadOnly(sqlite: Database.Database, reason: string, origin: CaseOrigin): void {
  sqlite.prepare('UPDATE case_info SET read_only = ?, origin = ? WHERE id = 1').run(reason, JSON.stringify(origin));
}

function readLockOwnerText(dir: string): string {
  try {
    const o = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    return describeOwner(o);
  } catch {
    return 'another process';
  }
}

/** Opens case.sqlite alone, read-only, for listings that must not touch the evidence. */
export function openCaseSqliteReadOnly(dir: string, options: { check?: boolean } = {}): Database.Database {
  return openSqlite(path.join(dir, CASE_SQLITE), 'read', options.check === false ? 'schema' : 'full');
}
