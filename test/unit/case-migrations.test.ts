import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../src/case/migrations.ts';

const dirs: string[] = [];
function tempDb(): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-mig-'));
  dirs.push(dir);
  return new Database(path.join(dir, 'case.sqlite'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Tables, columns, indexes: what a case.sqlite at the newest version looks like. */
function schemaOf(db: Database.Database): unknown {
  const objects = db
    .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all() as { type: string; name: string }[];
  return objects.map((o) => ({
    ...o,
    columns: o.type === 'table' ? db.prepare(`PRAGMA table_info(${JSON.stringify(o.name)})`).all() : undefined,
  }));
}

describe('case.sqlite migrations', () => {
  it('are numbered 1, 2, 3 ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('upgrade a database from every earlier version to the same schema as a new one, keeping its rows', () => {
    const fresh = tempDb();
    migrate(fresh);
    const expected = schemaOf(fresh);

    for (let from = 0; from < SCHEMA_VERSION; from++) {
      const db = tempDb();
      migrate(db, from);
      expect(schemaVersion(db)).toBe(from);
      if (from >= 1) {
        db.prepare(
          "INSERT INTO case_info VALUES (1, 'Old case', 'old-case', NULL, '2026-01-01T00:00:00Z', 'alice', '0.0.1')",
        ).run();
        db.prepare(
          "INSERT INTO imports (started_at, status, actor, inputs, options) VALUES ('2026-01-01T00:00:00Z', 'done', 'alice', '[]', '{}')",
        ).run();
      }
      const applied = migrate(db);
      expect(applied).toEqual(MIGRATIONS.filter((m) => m.version > from).map((m) => m.version));
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      expect(schemaOf(db)).toEqual(expected);
      if (from >= 1) {
        expect(db.prepare('SELECT name FROM case_info').get()).toEqual({ name: 'Old case' });
        expect(db.prepare('SELECT count(*) AS n FROM imports').get()).toEqual({ n: 1 });
      }
      // Applying again changes nothing.
      expect(migrate(db)).toEqual([]);
    }
  });

  it('refuses a database newer than the program', () => {
    const db = tempDb();
    migrate(db);
    db.prepare("INSERT INTO schema_version VALUES (?, '2099-01-01T00:00:00Z', 'from the future')").run(
      SCHEMA_VERSION + 1,
    );
    expect(() => migrate(db)).toThrow(/newer than this program/);
  });
});
