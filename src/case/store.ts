/**
 * A case on disk and the one object that owns its files while it is open. A case is a folder holding
 * `case.sqlite` (what the investigator did: imports, source files, rejects, custody log, later findings
 * and annotations) and `evidence.duckdb` (what the archives say). A CaseHandle holds both connections;
 * nothing else opens them. Opened for writing it also holds the case lock (lock.ts), applies pending
 * schema migrations, and cleans up after an import whose process died (status `running`: its rows are
 * removed from evidence.duckdb and it is marked `interrupted`). Opened for reading it takes no lock and
 * opens DuckDB READ_ONLY, so nothing can change.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RECORD_KINDS } from '../archive/kinds.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { appendCustody } from './custody.ts';
import type { CustodyEntry } from './custody.ts';
import { EVIDENCE_MIGRATIONS, KIND_TABLES } from './evidence-schema.ts';
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
  else config.temp_directory = path.join(dir, CASE_TMP, 'duckdb');
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
}

export class CaseHandle {
  readonly notices: string[] = [];
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly mode: 'write' | 'read',
    readonly actor: string,
    readonly sqlite: Database.Database,
    private readonly instance: DuckDBInstance,
    /** The connection every evidence query of this handle runs on. */
    readonly duck: DuckDBConnection,
    private readonly lock: AcquiredLock | undefined,
  ) {}

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
    try {
      if (options.mode === 'write') {
        lock = acquireCaseLock(path.join(dir, LOCK_FILE), label, options.purpose ?? 'audit-ws');
        mkdirSync(path.join(dir, CASE_TMP), { recursive: true });
      }
      sqlite = openSqlite(sqlitePath, options.mode);
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
      const duck = await instance.connect();
      await duck.run("SET TimeZone = 'UTC'");
      // Progress of long statements (read by the importer), without DuckDB drawing its own bar.
      await duck.run('SET enable_progress_bar = true');
      await duck.run('SET enable_progress_bar_print = false');
      const handle = new CaseHandle(dir, options.mode, actor, sqlite, instance, duck, lock);
      if (lock?.tookOverFrom) {
        handle.notices.push(
          `took over the lock left by ${describeOwner(lock.tookOverFrom)}, which is no longer running`,
        );
      }
      if (options.mode === 'write') {
        migrate(sqlite);
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
      throw err;
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
      const sqlite = openSqlite(path.join(staging, CASE_SQLITE), 'write');
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
    return appendCustody(this.sqlite, this.actor, action, details);
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.mode === 'write') {
        // Fold the WAL into the database file so that read-only opens see one self-contained file.
        await this.duck.run('CHECKPOINT').catch(() => undefined);
      }
    } finally {
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
    if (stray.size > 0) {
      const list = [...stray].join(', ');
      for (const kind of RECORD_KINDS)
        await this.duck.run(`DELETE FROM ${KIND_TABLES[kind]} WHERE import_id IN (${list})`);
      await this.duck.run('CHECKPOINT');
    }
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

function openSqlite(file: string, mode: 'write' | 'read'): Database.Database {
  const db = new Database(file, mode === 'read' ? { readonly: true, fileMustExist: true } : {});
  db.pragma('busy_timeout = 5000');
  if (mode === 'write') {
    db.pragma('journal_mode = WAL');
    // The custody log must survive a power cut once an action is reported done.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  }
  return db;
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
  return info;
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
export function openCaseSqliteReadOnly(dir: string): Database.Database {
  return openSqlite(path.join(dir, CASE_SQLITE), 'read');
}
