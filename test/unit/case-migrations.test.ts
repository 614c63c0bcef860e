import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../src/case/migrations.ts';
import { CaseHandle, markReadOnly, readCaseInfo, type CaseOrigin } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';

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
          "INSERT INTO case_info (id, name, slug, description, created_at, created_by, tool_version) VALUES (1, 'Old case', 'old-case', NULL, '2026-01-01T00:00:00Z', 'alice', '0.0.1')",
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

describe('schema version 3: read-only cases', () => {
  it('upgrades a version-2 case.sqlite to a writable case (no read-only flag), and a flag set later reads back', () => {
    const db = tempDb();
    migrate(db, 2);
    db.prepare(
      "INSERT INTO case_info VALUES (1, 'Old case', 'old-case', NULL, '2026-01-01T00:00:00Z', 'alice', '0.0.1')",
    ).run();
    expect(readCaseInfo(db, '/cases/old-case').readOnly).toBeUndefined();
    expect(migrate(db)).toEqual([3, 4]);
    const info = readCaseInfo(db, '/cases/old-case');
    expect(info.name).toBe('Old case');
    expect(info.readOnly).toBeUndefined();
    expect(info.origin).toBeUndefined();
    const origin: CaseOrigin = {
      kind: 'evidence-package',
      file: '/in/p.zip',
      sha256: 'ab'.repeat(32),
      kept: 'package/p.zip',
      openedAt: '2026-05-01T00:00:00Z',
      openedBy: 'regulator',
      sourceCase: 'Credit review',
    };
    markReadOnly(db, 'it was opened from an evidence package', origin);
    expect(readCaseInfo(db, '/cases/old-case')).toMatchObject({
      readOnly: 'it was opened from an evidence package',
      origin,
    });
  });

  it('a case written at version 2 (case.sqlite and evidence.duckdb) opens for writing upgraded, with the explanations table', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-mig-'));
    dirs.push(dir);
    const ws = new Workspace(dir);
    const made = await ws.create('Two', { actor: 'alice' });
    const caseDir = made.dir;
    await made.duck.run('DROP TABLE explanations');
    await made.duck.run('DELETE FROM evidence_meta WHERE version >= 2');
    await made.close();
    // Back to what version 2 wrote: no read-only columns.
    const db = new Database(path.join(caseDir, 'case.sqlite'));
    db.exec(
      'ALTER TABLE case_info DROP COLUMN read_only; ALTER TABLE case_info DROP COLUMN origin; ALTER TABLE source_files DROP COLUMN copy_sha256',
    );
    db.prepare('DELETE FROM schema_version WHERE version >= 3').run();
    db.close();

    const reader = await CaseHandle.open(caseDir, { mode: 'read' });
    try {
      expect(reader.notices.join(' ')).toMatch(/schema version 2; opening the case for writing upgrades it to 4/);
      expect(reader.info().readOnly).toBeUndefined();
    } finally {
      await reader.close();
    }
    const writer = await CaseHandle.open(caseDir, { mode: 'write', actor: 'alice' });
    try {
      expect(schemaVersion(writer.sqlite)).toBe(SCHEMA_VERSION);
      expect(() => writer.refuseIfReadOnly('import archives')).not.toThrow();
      const n = await writer.duck.runAndReadAll('SELECT count(*) FROM explanations');
      expect(Number(n.getRowsJS()[0][0])).toBe(0);
      writer.sqlite.transaction(() =>
        markReadOnly(writer.sqlite, 'it holds a package', {
          kind: 'evidence-package',
          file: '/p.zip',
          sha256: '0'.repeat(64),
          kept: 'package/p.zip',
          openedAt: '2026-05-01T00:00:00Z',
          openedBy: 'alice',
        }),
      )();
      expect(() => writer.refuseIfReadOnly('import archives')).toThrow(
        /case "Two" is read-only, so it cannot import archives: it holds a package/,
      );
    } finally {
      await writer.close();
    }
  });
});
