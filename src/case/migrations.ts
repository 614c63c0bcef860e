/**
 * The schema of case.sqlite as an ordered list of steps. `schema_version` holds the step a database is
 * at; opening a case for writing applies the missing steps, each in its own transaction. Append only: a
 * step that has shipped is never edited (a case written by an older version must upgrade the same way
 * every time), a change is a new step. test/unit/case-migrations.test.ts builds a database at every
 * earlier version and upgrades it.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'case, imports, source files, rejects, custody log',
    up(db) {
      db.exec(`
        CREATE TABLE case_info (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          name TEXT NOT NULL,
          slug TEXT NOT NULL,
          description TEXT,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          tool_version TEXT NOT NULL
        );
        CREATE TABLE imports (
          id INTEGER PRIMARY KEY,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
          actor TEXT NOT NULL,
          pid INTEGER,
          host TEXT,
          inputs TEXT NOT NULL,
          options TEXT NOT NULL,
          counts TEXT,
          error TEXT
        );
        CREATE TABLE source_files (
          id INTEGER PRIMARY KEY,
          import_id INTEGER NOT NULL REFERENCES imports(id),
          archive TEXT NOT NULL,
          container TEXT NOT NULL,
          path TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          size INTEGER NOT NULL,
          role TEXT NOT NULL,
          format TEXT,
          kind TEXT,
          stream TEXT,
          records INTEGER,
          rejected INTEGER,
          skipped TEXT,
          content BLOB
        );
        CREATE INDEX source_files_sha256 ON source_files(sha256);
        CREATE INDEX source_files_import ON source_files(import_id);
        CREATE TABLE rejects (
          id INTEGER PRIMARY KEY,
          import_id INTEGER NOT NULL REFERENCES imports(id),
          source_file_id INTEGER REFERENCES source_files(id),
          file TEXT NOT NULL,
          line INTEGER,
          row INTEGER,
          reason TEXT NOT NULL,
          excerpt TEXT,
          disposition TEXT NOT NULL CHECK (disposition IN ('rejected', 'noted'))
        );
        CREATE INDEX rejects_import ON rejects(import_id);
        CREATE TABLE custody_log (
          seq INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          details TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    description: 'verification runs, findings, annotations, saved views',
    up(db) {
      db.exec(`
        CREATE TABLE verification_runs (
          id INTEGER PRIMARY KEY,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          status TEXT NOT NULL,
          actor TEXT NOT NULL,
          options TEXT NOT NULL,
          summary TEXT
        );
        CREATE TABLE findings (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES verification_runs(id),
          check_id TEXT NOT NULL,
          status TEXT NOT NULL,
          stream TEXT,
          seq INTEGER,
          file TEXT,
          line INTEGER,
          row INTEGER,
          message TEXT NOT NULL,
          details TEXT
        );
        CREATE INDEX findings_run ON findings(run_id);
        CREATE TABLE annotations (
          id INTEGER PRIMARY KEY,
          created_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          target TEXT NOT NULL,
          text TEXT NOT NULL,
          tags TEXT
        );
        CREATE TABLE saved_views (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          definition TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 3,
    description: 'read-only cases: why, and where their evidence came from (an evidence package)',
    up(db) {
      // read_only: NULL for an investigator's own case; else the sentence that says why it refuses
      // imports and re-verification. origin: JSON describing the evidence package the case was opened from.
      db.exec(`
        ALTER TABLE case_info ADD COLUMN read_only TEXT;
        ALTER TABLE case_info ADD COLUMN origin TEXT;
      `);
    },
  },
  {
    version: 4,
    description: "the SHA-256 of the case's copy of each data file (sources/; a .jsonl.gz decompressed)",
    up(db) {
      // NULL for files imported before the copies (their record text is in evidence.duckdb's raw column).
      db.exec('ALTER TABLE source_files ADD COLUMN copy_sha256 TEXT;');
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: Database.Database): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!exists) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings a database to `target` (default: the newest version). Returns the versions applied. A database
 * newer than this program is refused rather than guessed at.
 */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL)',
  );
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `case.sqlite is at schema version ${current}, newer than this program (${SCHEMA_VERSION}); update the workstation`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)').run(
        m.version,
        new Date().toISOString(),
        m.description,
      );
    })();
    applied.push(m.version);
  }
  return applied;
}
