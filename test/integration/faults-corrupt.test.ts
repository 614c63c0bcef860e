// Damaged case files: case.sqlite and evidence.duckdb truncated or overwritten in chosen places. Each damaged
// copy is opened for reading and for writing (in a separate process, so a native crash would show). Every
// attempt must either give exactly the case's undamaged contents (the damage hit unused space) or refuse:
// a sentence naming the damaged file and what to do, or DuckDB's own block-checksum error for evidence read
// later; custody-log tampering is reported by the log's hash chain. Never a crash, never different results.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { buildLookups } from '../../src/query/lookups.ts';
import { verifyCase } from '../../src/verify/case-run.ts';
import { cli, importedCase, removeTempDirs, REPO, tempDir } from './faults-helpers.ts';

const CASE = 'Damaged';
const ADVICE = 'restore the case folder from a backup';

interface Variant {
  name: string;
  file: 'case.sqlite' | 'evidence.duckdb';
  damage: (file: string) => void;
  /** What must happen: 'refused' (every open refuses), or 'refused-or-same' (damage may hit unused space). */
  expect: 'refused' | 'refused-or-same' | 'custody-altered';
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string; ours: boolean };

let base: string;
let template: string;
let caseSlug: string;
let baseline: unknown;
const variants: Variant[] = [];

function overwrite(file: string, offset: number, length: number, seed: number): void {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

beforeAll(async () => {
  base = tempDir('audit-ws-faults-corrupt-');
  const archive = path.join(base, 'archive');
  await generateDemoArchive({ out: archive, decisions: 1500, days: 2, seed: 5 });
  template = path.join(base, 'template');
  const made = await importedCase(template, CASE, [archive], async (h) => {
    await buildLookups(h.duck);
    await verifyCase(h, { workers: 0 });
    h.custody('note', { text: 'a custody entry to alter: 0123456789' });
  });
  caseSlug = path.basename(made);
  const caseDir = path.join(template, 'cases', caseSlug);

  // Where things are in case.sqlite: the root pages of its tables, and the bytes of the custody note.
  const db = new Database(path.join(caseDir, 'case.sqlite'), { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const root = (name: string) =>
    (db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(name) as { rootpage: number }).rootpage;
  const roots = { caseInfo: root('case_info'), custody: root('custody_log'), imports: root('imports') };
  db.close();
  const sqliteBytes = fs.readFileSync(path.join(caseDir, 'case.sqlite'));
  const noteAt = sqliteBytes.indexOf('0123456789');
  expect(noteAt).toBeGreaterThan(0);
  const sqliteSize = sqliteBytes.length;
  const duckSize = fs.statSync(path.join(caseDir, 'evidence.duckdb')).size;
  const page = (n: number) => (n - 1) * pageSize;

  variants.push(
    { name: 'case.sqlite emptied', file: 'case.sqlite', damage: (f) => fs.truncateSync(f, 0), expect: 'refused' },
    {
      name: 'case.sqlite cut in half',
      file: 'case.sqlite',
      damage: (f) => fs.truncateSync(f, Math.floor(sqliteSize / 2)),
      expect: 'refused',
    },
    { name: 'case.sqlite header', file: 'case.sqlite', damage: (f) => overwrite(f, 0, 100, 1), expect: 'refused' },
    {
      name: 'case.sqlite case_info page',
      file: 'case.sqlite',
      damage: (f) => overwrite(f, page(roots.caseInfo), pageSize, 2),
      expect: 'refused',
    },
    {
      name: 'case.sqlite imports page',
      file: 'case.sqlite',
      damage: (f) => overwrite(f, page(roots.imports), pageSize, 3),
      expect: 'refused',
    },
    {
      name: 'case.sqlite custody_log root page',
      file: 'case.sqlite',
      damage: (f) => overwrite(f, page(roots.custody), 64, 4),
      expect: 'refused',
    },
    {
      name: 'case.sqlite one byte of a custody entry',
      file: 'case.sqlite',
      damage: (f) => overwrite(f, noteAt + 3, 1, 5),
      expect: 'custody-altered',
    },
    {
      name: 'case.sqlite last page',
      file: 'case.sqlite',
      damage: (f) => overwrite(f, sqliteSize - pageSize, pageSize, 6),
      expect: 'refused-or-same',
    },
    {
      name: 'evidence.duckdb emptied',
      file: 'evidence.duckdb',
      damage: (f) => fs.truncateSync(f, 0),
      expect: 'refused',
    },
    {
      name: 'evidence.duckdb cut in half',
      file: 'evidence.duckdb',
      damage: (f) => fs.truncateSync(f, Math.floor(duckSize / 2)),
      expect: 'refused',
    },
    {
      name: 'evidence.duckdb main header',
      file: 'evidence.duckdb',
      damage: (f) => overwrite(f, 0, 4096, 7),
      expect: 'refused',
    },
    {
      name: 'evidence.duckdb both database headers',
      file: 'evidence.duckdb',
      damage: (f) => overwrite(f, 4096, 8192, 8),
      expect: 'refused',
    },
    {
      name: 'evidence.duckdb last 4 KB',
      file: 'evidence.duckdb',
      damage: (f) => overwrite(f, duckSize - 4096, 4096, 9),
      expect: 'refused-or-same',
    },
  );
  // 64 bytes in the middle of every 256 KB block of the evidence (DuckDB checksums each block).
  const blocks = Math.floor((duckSize - 12288) / 262144);
  for (let b = 0; b < blocks; b++) {
    variants.push({
      name: `evidence.duckdb block ${b}`,
      file: 'evidence.duckdb',
      damage: (f) => overwrite(f, 12288 + b * 262144 + 131072, 64, 100 + b),
      expect: 'refused-or-same',
    });
  }
}, 300_000);

afterAll(removeTempDirs);

function isRefusal(o: Outcome, damaged: string): boolean {
  if (o.ok) return false;
  // Ours: one sentence naming the file and what to do.
  if (o.ours) return o.code === 'UNREADABLE_INPUT' && o.message.includes(damaged) && o.message.includes(ADVICE);
  // DuckDB's own detection when a damaged block is read after opening (its block checksums).
  return /Corrupt database file: computed checksum .* does not match stored checksum/.test(o.message);
}

describe('damaged case files', () => {
  it('every damaged copy is refused with a clear error or reads exactly as before; never a crash', async () => {
    const jobs = variants.map((v, i) => {
      const workspace = path.join(base, `v${i}`);
      fs.cpSync(template, workspace, { recursive: true });
      v.damage(path.join(workspace, 'cases', caseSlug, v.file));
      return { variant: v.name, workspace, caseName: CASE };
    });
    // The undamaged template first: the baseline every "reads as before" is compared with.
    const all = [{ variant: 'undamaged', workspace: template, caseName: CASE }, ...jobs];
    const { code, signal, lines, stderr } = await new Promise<{
      code: number | null;
      signal: string | null;
      lines: string[];
      stderr: string;
    }>((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(REPO, 'bin/run-ts.mjs'), path.join(REPO, 'test/support/corrupt-probe.ts'), JSON.stringify(all)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (c, s) => resolve({ code: c, signal: s, lines: out.trim().split('\n'), stderr: err }));
    });
    const records = lines.map((l) => JSON.parse(l) as { variant: string; start?: true; ops?: Record<string, Outcome> });
    const started = records.filter((r) => r.start).map((r) => r.variant);
    const finished = new Map(records.filter((r) => r.ops).map((r) => [r.variant, r.ops as Record<string, Outcome>]));
    const crashedIn = started.find((v) => !finished.has(v));
    expect({ code, signal, crashedIn }, stderr).toEqual({ code: 0, signal: null, crashedIn: undefined });

    const undamaged = finished.get('undamaged') as Record<string, Outcome>;
    expect(undamaged.read).toMatchObject({ ok: true });
    expect(undamaged.write).toEqual(undamaged.read);
    baseline = (undamaged.read as { value: unknown }).value;

    const tally: Record<string, number> = { refused: 0, same: 0, custodyAltered: 0 };
    for (const v of variants) {
      const ops = finished.get(v.name) as Record<string, Outcome>;
      const damaged = path.join(base, `v${variants.indexOf(v)}`, 'cases', caseSlug, v.file);
      for (const mode of ['read', 'write'] as const) {
        const o = ops[mode];
        const what = `${v.name}, open for ${mode}: ${JSON.stringify(o).slice(0, 600)}`;
        if (v.expect === 'refused') {
          expect(isRefusal(o, damaged), what).toBe(true);
          tally.refused++;
        } else if (v.expect === 'custody-altered') {
          // SQLite has no page checksums: the altered byte reads back, and the custody chain reports it.
          expect(o.ok, what).toBe(true);
          const value = (o as { value: { custody: { entries: number; problems: string[] } } }).value;
          // The altered entry is the note, the last one.
          expect(value.custody.problems, what).toEqual([
            `entry ${value.custody.entries - 1}: hash does not match its content`,
          ]);
          tally.custodyAltered++;
        } else if (o.ok) {
          expect(o.value, what).toEqual(baseline);
          tally.same++;
        } else {
          expect(isRefusal(o, damaged), what).toBe(true);
          tally.refused++;
        }
      }
      // A damaged case.sqlite drops the case from the list (case show / open say why); a damaged
      // evidence.duckdb does not touch the list.
      if (v.file === 'evidence.duckdb') expect(ops.list, v.name).toEqual({ ok: true, value: [CASE] });
    }
    console.log(
      `damaged case files: ${variants.length} variants x 2 opens: ${tally.refused} refused, ${tally.same} read exactly as before, ${tally.custodyAltered} custody alterations reported`,
    );
    // Damage to the blocks of the evidence is caught by DuckDB's checksums whenever those blocks are read.
    expect(tally.refused).toBeGreaterThan(2 * variants.filter((v) => v.expect === 'refused').length);
  }, 300_000);

  it('the CLI refuses a damaged case in one sentence naming the file, exit 2', async () => {
    for (const [file, offset] of [
      ['case.sqlite', 0],
      ['evidence.duckdb', 0],
    ] as const) {
      const ws = path.join(base, `cli-${file}`);
      fs.cpSync(template, ws, { recursive: true });
      const damaged = path.join(ws, 'cases', caseSlug, file);
      overwrite(damaged, offset, 4096, 42);
      for (const args of [
        ['search', '--case', CASE, '--limit', '1'],
        ['verify', '--case', CASE],
      ]) {
        const r = await cli([...args, '--workspace', ws]);
        expect(r.status, `${file} ${args[0]}: ${r.stderr}`).toBe(2);
        expect(r.stderr.startsWith(`audit-ws: ${damaged}: `), r.stderr).toBe(true);
        expect(r.stderr).toContain(ADVICE);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
    }
  }, 240_000);
});
