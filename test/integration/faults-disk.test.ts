// A full disk and a read-only case folder, on real small tmpfs mounts (root only: elsewhere each test is
// reported as skipped with the reason). A full disk must be said as such, naming the path, and leave the case
// as it was and no output file that looks complete; a read-only case reads as usual and refuses writes plainly.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { CaseHandle, openCaseSqliteReadOnly } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { AuditWsError } from '../../src/errors.ts';
import { exporterNamed } from '../../src/export/exporters/index.ts';
import { exportCsv } from '../../src/export/run.ts';
import { importArchives } from '../../src/import/importer.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';
import { buildLookups } from '../../src/query/lookups.ts';
import { writeReport } from '../../src/report/write.ts';
import { verifyCase } from '../../src/verify/case-run.ts';
import { mountTmpfs } from '../support/privileged.ts';
import type { Available, Tmpfs } from '../support/privileged.ts';
import {
  cli,
  completeLookingFiles,
  fillDisk,
  importedCase,
  INVESTIGATOR,
  removeTempDirs,
  snapshotCase,
  tempDir,
  verifyCustodyCli,
} from './faults-helpers.ts';

const CASE = 'Disk';
let archive: string;
const mounts: Tmpfs[] = [];

beforeAll(async () => {
  archive = path.join(tempDir('audit-ws-faults-disk-'), 'archive');
  await generateDemoArchive({ out: archive, decisions: 2000, days: 2, seed: 11 });
}, 120_000);

afterAll(() => {
  for (const m of mounts.splice(0)) m.remove();
  removeTempDirs();
});

/** A tmpfs, or the test skipped with the reason printed. */
function tmpfsOrSkip(ctx: TestContext, size: string): Tmpfs {
  const m: Available<Tmpfs> = mountTmpfs(size);
  if (!m.ok) {
    console.warn(`SKIPPED ${ctx.task.name}: ${m.reason}`);
    ctx.skip(m.reason);
  }
  mounts.push(m.value);
  return m.value;
}

/** A workspace under `root` with one case holding the demo archive and one verification run. */
async function prepareCase(root: string): Promise<{ ws: string; caseDir: string }> {
  const ws = path.join(root, 'ws');
  const caseDir = await importedCase(ws, CASE, [archive], async (h) => {
    await buildLookups(h.duck);
    await verifyCase(h, { workers: 0 });
  });
  return { ws, caseDir };
}

function custodyIntact(caseDir: string): string[] {
  const db = openCaseSqliteReadOnly(caseDir);
  try {
    return verifyCustody(readCustody(db));
  } finally {
    db.close();
  }
}

async function thrown(run: () => Promise<unknown>): Promise<AuditWsError> {
  try {
    await run();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(AuditWsError);
    return err as AuditWsError;
  }
  throw new Error('expected a refusal, but it succeeded');
}

const DISK_FULL = 'the disk is full (no space left on device)';

describe('a full disk', () => {
  it('import into a full case disk (0, 256 KB, 2 MB left): refused naming the case folder; the case stays as it was', async (ctx) => {
    const disk = tmpfsOrSkip(ctx, '48m');
    const { ws, caseDir } = await prepareCase(disk.dir);
    for (const leave of [0, 256 * 1024, 2 * 1024 * 1024]) {
      const before = await snapshotCase(caseDir);
      const unfill = fillDisk(disk.dir, leave);
      let r;
      try {
        r = await cli(['import', archive, '--force', '--case', CASE, '--workspace', ws, '--progress', 'none']);
      } finally {
        unfill();
      }
      expect(r.status, `${leave} bytes left: ${r.stdout}${r.stderr}`).toBe(2);
      expect(`${r.stdout}${r.stderr}`).toContain(`${caseDir}: ${DISK_FULL}`);
      expect(r.stderr).not.toContain('unexpected error');
      const after = await snapshotCase(caseDir);
      expect(after.evidence).toEqual(before.evidence);
      expect(after.verificationRuns).toEqual(before.verificationRuns);
      expect(after.sourceFiles).toBe(before.sourceFiles);
      expect(after.sources).toEqual(before.sources);
      // The attempt is recorded when there was room to record it, as failed, and nothing else changed.
      expect(after.imports.slice(0, before.imports.length)).toEqual(before.imports);
      for (const i of after.imports.slice(before.imports.length))
        expect(i).toMatchObject({ status: expect.stringMatching(/^(failed|interrupted)$/) });
      expect(after.custody.slice(0, before.custody.length)).toEqual(before.custody);
      for (const e of after.custody.slice(before.custody.length))
        expect(e.action).toMatch(/^import\.(failed|interrupted)$/);
      expect(custodyIntact(caseDir)).toEqual([]);
    }
    // With the space back, the same case takes the import.
    const custody = await verifyCustodyCli(ws, CASE);
    expect(custody.status, custody.stderr).toBe(0);
    const h = await new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR });
    try {
      expect((await importArchives(h, [archive], { force: true })).status).toBe('done');
    } finally {
      await h.close();
    }
  }, 240_000);

  it('CSV export, report and package into a full output folder: refused naming the file, nothing left that looks complete', async (ctx) => {
    const out = tmpfsOrSkip(ctx, '8m').dir;
    const { ws, caseDir } = await prepareCase(tempDir('audit-ws-faults-disk-case-'));
    const before = await snapshotCase(caseDir);
    const unfill = fillDisk(out, 0);
    try {
      const h = await new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR });
      try {
        // DuckDB's COPY path (records) and the streamed JS writer (custody log).
        for (const name of ['records', 'custody']) {
          const file = path.join(out, `${name}.csv`);
          const err = await thrown(() => exportCsv(exporterNamed(name), h, {}, file));
          expect(err.message).toContain(`${file}: ${DISK_FULL}`);
          expect(err.code).toBe('LIMIT_EXCEEDED');
        }
        const reportDir = path.join(out, 'report');
        const report = await thrown(() =>
          writeReport(h, { outDir: reportDir, formats: ['html', 'json', 'csv'], investigator: INVESTIGATOR }),
        );
        expect(report.message).toMatch(new RegExp(`^${reportDir}.*: ${DISK_FULL.replace(/[()]/g, '\\$&')}`));
        const zip = path.join(out, 'evidence.zip');
        const pkg = await thrown(() =>
          writeEvidencePackage(h, { out: zip, selection: { decisionIds: ['d-00000001', 'd-00000002'] } }),
        );
        expect(pkg.message).toContain(zip);
        expect(pkg.message).toMatch(/no space left on device/i);
      } finally {
        await h.close();
      }
      // The CLI says the same, in one sentence, exit 2.
      const file = path.join(out, 'cli.csv');
      const r = await cli(['export', 'records', '--case', CASE, '--workspace', ws, '--out', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `audit-ws: ${file}: ${DISK_FULL} while writing the CSV export (no file was written); free some space there and try again\n`,
      );
    } finally {
      unfill();
    }
    expect(completeLookingFiles(out)).toEqual([]);
    expect(fs.readdirSync(out).filter((n) => !n.startsWith('.ballast'))).toEqual([]);
    // Nothing was exported, so nothing was recorded.
    expect(await snapshotCase(caseDir)).toEqual(before);
  }, 240_000);

  it('a CSV that fits but whose sidecar does not: neither is left (a CSV cannot say where it came from)', async (ctx) => {
    const out = tmpfsOrSkip(ctx, '4m').dir;
    const { ws } = await prepareCase(tempDir('audit-ws-faults-disk-case-'));
    const h = await new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR });
    try {
      const probe = path.join(tempDir(), 'findings.csv');
      await exportCsv(exporterNamed('findings'), h, {}, probe);
      const page = fs.statfsSync(out).bsize;
      const csvPages = Math.ceil(fs.statSync(probe).size / page);
      expect(fs.statSync(`${probe}.json`).size).toBeGreaterThan(0);
      const file = path.join(out, 'findings.csv');
      const unfill = fillDisk(out, csvPages * page);
      try {
        const err = await thrown(() => exportCsv(exporterNamed('findings'), h, {}, file));
        expect(err.message).toContain(`${file}.json: ${DISK_FULL}`);
      } finally {
        unfill();
      }
      expect(completeLookingFiles(out)).toEqual([]);
    } finally {
      await h.close();
    }
  }, 240_000);

  it('a full case disk while a verification run is saved: refused naming case.sqlite; earlier runs intact', async (ctx) => {
    const disk = tmpfsOrSkip(ctx, '48m');
    const { ws, caseDir } = await prepareCase(disk.dir);
    const before = await snapshotCase(caseDir);
    const h = await new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR });
    const unfill = fillDisk(disk.dir, 0);
    try {
      const err = await thrown(() => verifyCase(h, { workers: 0 }));
      expect(err.message).toBe(
        `${path.join(caseDir, 'case.sqlite')}: ${DISK_FULL} while saving the verification run (it was not saved); free some space there and try again`,
      );
      // Opening for writing on the full disk is refused the same way, and leaves no lock file behind
      // (closing gave back the WAL's pages: fill again).
      await h.close();
      const unfillAgain = fillDisk(disk.dir, 0);
      try {
        const open = await thrown(() => new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR }));
        expect(open.message).toContain(`${caseDir}: ${DISK_FULL}`);
        expect(fs.existsSync(path.join(caseDir, 'case.lock'))).toBe(false);
      } finally {
        unfillAgain();
      }
    } finally {
      unfill();
      await h.close();
    }
    expect(await snapshotCase(caseDir)).toEqual(before);
    expect(custodyIntact(caseDir)).toEqual([]);
  }, 240_000);
});

describe('a read-only case folder', () => {
  it('reads as usual (also with an un-checkpointed case.sqlite-wal); every write is refused plainly; nothing changes', async (ctx) => {
    const disk = tmpfsOrSkip(ctx, '64m');
    const { ws, caseDir } = await prepareCase(tempDir('audit-ws-faults-ro-src-'));
    // Copy the case while a writer holds it open with a fresh custody entry still in case.sqlite-wal, as a
    // writer that died would leave it.
    const h = await new Workspace(ws).open(CASE, { mode: 'write', actor: INVESTIGATOR });
    h.custody('note', { text: 'only in the WAL' });
    const roWs = path.join(disk.dir, 'ws');
    fs.cpSync(ws, roWs, { recursive: true });
    await h.close();
    fs.rmSync(path.join(roWs, 'cases', path.basename(caseDir), 'case.lock'), { force: true });
    const roCase = path.join(roWs, 'cases', path.basename(caseDir));
    expect(fs.existsSync(path.join(roCase, 'case.sqlite-wal'))).toBe(true);
    disk.remount(true);
    try {
      const listing = () => fs.readdirSync(roCase).sort();
      const files = listing();

      // Reading: in process and through the CLI.
      const reader = await CaseHandle.open(roCase, { mode: 'read' });
      try {
        const n = await reader.duck.runAndReadAll('SELECT count(*)::INTEGER FROM decisions');
        expect(n.getRowsJS()[0][0]).toBe(2000);
        expect(readCustody(reader.sqlite).at(-1)?.action).toBe('note');
      } finally {
        await reader.close();
      }
      for (const args of [
        ['case', 'show', CASE],
        ['search', '--case', CASE, '--limit', '1', '--no-facets'],
        ['custody', '--case', CASE, '--verify'],
      ]) {
        const r = await cli([...args, '--workspace', roWs]);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stderr).toBe('');
      }

      // Writing: refused, one sentence naming the folder.
      const refusal = `audit-ws: case folder ${roCase} is read-only (EROFS: read-only file system, open '${roCase}/case.lock'), so the case cannot be opened for writing`;
      for (const args of [
        ['import', archive, '--force', '--case', CASE, '--progress', 'none'],
        ['verify', '--case', CASE],
        ['export', 'records', '--case', CASE, '--out', path.join(tempDir(), 'x.csv')],
      ]) {
        const r = await cli([...args, '--workspace', roWs]);
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr.startsWith(refusal), r.stderr).toBe(true);
      }
      const err = await thrown(() => new Workspace(roWs).open(CASE, { mode: 'write', actor: INVESTIGATOR }));
      expect(err.code).toBe('BAD_USAGE');
      expect(listing()).toEqual(files);
    } finally {
      disk.remount(false);
    }
    const snap = await snapshotCase(roCase);
    expect(snap.custody.at(-1)?.action).toBe('note');
    expect(custodyIntact(roCase)).toEqual([]);
  }, 240_000);
});
