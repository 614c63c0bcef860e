import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { openCaseSqliteReadOnly } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { custodyEntryHash } from '../../src/package/custody-excerpt.ts';

const BIN = fileURLToPath(new URL('../../bin/audit-ws.mjs', import.meta.url));
let tmp: string;
let ws: string;

function cli(args: string[], workspace = ws): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--workspace', workspace], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the case's workspace, so each tamper starts from the intact log. */
function copyWorkspace(): { workspace: string; sqlite: string } {
  const w = mkdtempSync(join(tmp, 'ws-'));
  cpSync(ws, w, { recursive: true });
  return { workspace: w, sqlite: join(w, 'cases', 'custody-case', 'case.sqlite') };
}

function sqlite3(file: string, sql: string): void {
  execFileSync('/usr/bin/sqlite3', [file, sql]);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'custody-cli-'));
  ws = join(tmp, 'ws');
  const handle = await new Workspace(ws).create('Custody case', { actor: 'Ada' });
  try {
    handle.custody('annotation.added', { target: 'decision d-1', text: 'first look' });
    handle.custody('view.saved', { name: 'overrides', definition: { filter: 'human_override' } });
    handle.custody('export.csv', { query: 'records', rows: 12 });
  } finally {
    await handle.close();
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('audit-ws custody', () => {
  it('lists the entries and verifies an intact log (exit 0)', () => {
    const r = cli(['custody', '--case', 'Custody case', '--verify']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/case\.created/);
    expect(r.stdout).toMatch(/Verified: all 4 entries/);
    const j = JSON.parse(cli(['custody', '--case', 'custody-case', '--verify', '--json']).stdout);
    expect(j.entries.map((e: { action: string }) => e.action)).toEqual([
      'case.created',
      'annotation.added',
      'view.saved',
      'export.csv',
    ]);
    expect(j.verification).toMatchObject({ intact: true, problems: [], entries: 4 });
  });

  it('detects a row changed with the sqlite3 tool, naming the entry (exit 1)', () => {
    const { workspace, sqlite } = copyWorkspace();
    sqlite3(sqlite, "UPDATE custody_log SET actor = 'Mallory' WHERE seq = 1");
    const r = cli(['custody', '--case', 'Custody case', '--verify'], workspace);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ALTERED/);
    expect(r.stdout).toMatch(/entry 1 \(annotation\.added .*\): its hash does not match its content/);
    // the case module's own check agrees
    const db = openCaseSqliteReadOnly(join(workspace, 'cases', 'custody-case'));
    expect(verifyCustody(readCustody(db))).toEqual(['entry 1: hash does not match its content']);
    db.close();
  });

  it('detects details edited in place, even into text that is not JSON', () => {
    const { workspace, sqlite } = copyWorkspace();
    sqlite3(sqlite, "UPDATE custody_log SET details = replace(details, '12', '13') WHERE seq = 3");
    let r = cli(['custody', '--case', 'Custody case', '--verify', '--json'], workspace);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).verification.problems.map((p: { seq: number }) => p.seq)).toEqual([3]);
    sqlite3(sqlite, "UPDATE custody_log SET details = '{broken' WHERE seq = 2");
    r = cli(['custody', '--case', 'Custody case', '--verify'], workspace);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/entry 2: its details are not a JSON object/);
  });

  it('detects a deleted entry', () => {
    const { workspace, sqlite } = copyWorkspace();
    sqlite3(sqlite, 'DELETE FROM custody_log WHERE seq = 2');
    const r = cli(['custody', '--case', 'Custody case', '--verify', '--json'], workspace);
    expect(r.code).toBe(1);
    const messages = JSON.parse(r.stdout)
      .verification.problems.map((p: { message: string }) => p.message)
      .join('\n');
    expect(messages).toMatch(/entry 3: expected seq 2; entries 2..2 are missing/);
    expect(messages).toMatch(/entry 3: prevHash does not match/);
  });

  it('detects an entry rewritten with a correctly re-computed hash: the next entry no longer links', () => {
    const { workspace, sqlite } = copyWorkspace();
    const db = openCaseSqliteReadOnly(join(workspace, 'cases', 'custody-case'));
    const e = readCustody(db)[1];
    db.close();
    const forged = { ...e, actor: 'Mallory' };
    sqlite3(sqlite, `UPDATE custody_log SET actor = 'Mallory', hash = '${custodyEntryHash(forged)}' WHERE seq = 1`);
    const r = cli(['custody', '--case', 'Custody case', '--verify', '--json'], workspace);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).verification.problems).toEqual([
      { seq: 2, message: 'entry 2: prevHash does not match the hash of the entry before it' },
    ]);
  });

  it('without --verify lists the log and exits 0 even when it was altered', () => {
    const { workspace, sqlite } = copyWorkspace();
    sqlite3(sqlite, "UPDATE custody_log SET action = 'x' WHERE seq = 0");
    expect(cli(['custody', '--case', 'Custody case'], workspace).code).toBe(0);
  });

  it('names the cases there are when the case is unknown (exit 2)', () => {
    const r = cli(['custody', '--case', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no case "nope".*Custody case/);
  });
});
