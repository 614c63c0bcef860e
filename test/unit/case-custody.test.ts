import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { recordHash } from '../../src/archive/canonical.ts';
import { appendCustody, readCustody, resolveInvestigator, verifyCustody } from '../../src/case/custody.ts';
import { migrate } from '../../src/case/migrations.ts';

const dirs: string[] = [];
function caseDb(): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-custody-'));
  dirs.push(dir);
  const db = new Database(path.join(dir, 'case.sqlite'));
  migrate(db);
  return db;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('custody log', () => {
  it('chains entries with jcs-sha256-v1 over {seq, at, actor, action, details, prevHash}', () => {
    const db = caseDb();
    const a = appendCustody(db, 'alice', 'case.created', { name: 'X' }, new Date('2026-01-01T00:00:00Z'));
    const b = appendCustody(db, 'bob', 'import.done', { importId: 1, files: [{ path: 'a.jsonl', sha256: 'ab' }] });
    expect(a.seq).toBe(0);
    expect(a.prevHash).toBe('0'.repeat(64));
    expect(a.hash).toBe(
      recordHash({
        seq: 0,
        at: '2026-01-01T00:00:00.000Z',
        actor: 'alice',
        action: 'case.created',
        details: { name: 'X' },
        prevHash: '0'.repeat(64),
      }),
    );
    expect(b.seq).toBe(1);
    expect(b.prevHash).toBe(a.hash);
    const entries = readCustody(db);
    expect(entries).toEqual([a, b]);
    expect(verifyCustody(entries)).toEqual([]);
  });

  it('shows an edited entry and a removed entry', () => {
    const db = caseDb();
    for (let i = 0; i < 3; i++) appendCustody(db, 'alice', 'note', { i });
    db.prepare("UPDATE custody_log SET actor = 'mallory' WHERE seq = 1").run();
    expect(verifyCustody(readCustody(db))).toEqual(['entry 1: hash does not match its content']);
    db.prepare("UPDATE custody_log SET actor = 'alice' WHERE seq = 1").run();
    db.prepare('DELETE FROM custody_log WHERE seq = 1').run();
    const problems = verifyCustody(readCustody(db));
    expect(problems.some((p) => p.includes('prevHash'))).toBe(true);
  });

  it('names the investigator from the option, then AUDIT_WS_INVESTIGATOR, then the OS user', () => {
    expect(resolveInvestigator(' carol ', { AUDIT_WS_INVESTIGATOR: 'dave' })).toBe('carol');
    expect(resolveInvestigator(undefined, { AUDIT_WS_INVESTIGATOR: 'dave' })).toBe('dave');
    expect(resolveInvestigator(undefined, {})).toBe(os.userInfo().username);
  });
});
