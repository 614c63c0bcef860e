// Record text is kept in the case's copies of its source files (src/case/source-copies.ts): exact lines
// for every line layout the reader accepts, decompressed .jsonl.gz, Parquet rows, one copy per content,
// nothing left behind by a failed import or a crash, and a clear error when a copy is gone.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { readLines } from '../../src/archive/lines.ts';
import { readCustody } from '../../src/case/custody.ts';
import { SOURCES_DIR, copyPaths, rawTexts, syncCopies } from '../../src/case/source-copies.ts';
import { CaseHandle } from '../../src/case/store.ts';
import { findRecords } from '../../src/contract/records.ts';
import { importArchives } from '../../src/import/importer.ts';
import { COPY_CHECK_ID } from '../../src/verify/source-copies-check.ts';
import { verifyCase } from '../../src/verify/case-run.ts';
import {
  EXAMPLE,
  copyExample,
  newCase,
  removeTempDirs,
  rows,
  rowsWithRaw,
  tempDir,
  toParquet,
  decisionLine,
  writeTempFile,
} from './import-helpers.ts';

afterEach(removeTempDirs);

const rec = decisionLine;
const write = writeTempFile;

function sourcesOf(caseDir: string): string[] {
  const dir = path.join(caseDir, SOURCES_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Every record line of a file as the archive reader gives it, by line number. */
async function readerLines(file: string, gzip = false): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for await (const ev of readLines(file, { gzip, displayName: 'x' })) {
    if (ev.kind === 'line' && ev.text.trim() !== '') out.set(ev.line, ev.text);
  }
  return out;
}

async function storedTexts(handle: CaseHandle): Promise<Map<number, string>> {
  const got = await rowsWithRaw(handle, 'SELECT source_file_id, line, row FROM decisions ORDER BY line');
  return new Map(got.map((r) => [Number(r.line), String(r.raw)]));
}

describe('record text in copies of the source files', () => {
  it('gives every line exactly as the reader does: LF, CRLF, a BOM, blank lines, spaces, a last line without its end', async () => {
    const lf = write('lf.jsonl', `\n${rec('a')}\n  ${rec('b', ',"note":"x\\ny"')}\n\n${rec('c', ',"n":"é ✓"')}`);
    const crlf = write('crlf.jsonl', Buffer.from(`\uFEFF${rec('d')}\r\n${rec('e')}\r\n\r\n${rec('f')}\r\n`));
    for (const file of [lf, crlf]) {
      const { handle } = await newCase();
      try {
        const result = await importArchives(handle, [file]);
        expect(result.status).toBe('done');
        expect(await storedTexts(handle)).toEqual(await readerLines(file));
        // The raw column itself is empty: the text is read from the copy.
        expect(await rows(handle, 'SELECT count(*) AS n FROM decisions WHERE raw IS NOT NULL')).toEqual([{ n: 0 }]);
        const sha = result.files.find((f) => f.path === path.basename(file))?.sha256 as string;
        const copy = copyPaths(handle.dir, sha, 'jsonl');
        expect(fs.readFileSync(copy.data)).toEqual(fs.readFileSync(file));
        expect(fs.statSync(copy.data).mode & 0o222).toBe(0); // read-only
        expect(fs.statSync(copy.lines as string).size).toBe(16 * (file === lf ? 5 : 4));
      } finally {
        await handle.close();
      }
    }
  });

  it('keeps a .jsonl.gz decompressed, and a Parquet file as it is (rows rendered by DuckDB)', async () => {
    const lines = [rec('g1'), rec('g2', ',"inputFeatures":{"income":5}'), rec('g3')];
    const gz = write('decisions.jsonl.gz', gzipSync(`${lines.join('\n')}\n`));
    {
      const { handle } = await newCase();
      try {
        const result = await importArchives(handle, [gz]);
        expect(result.status).toBe('done');
        expect([...(await storedTexts(handle)).values()]).toEqual(lines);
        const sha = result.files[0].sha256;
        const copy = copyPaths(handle.dir, sha, 'jsonl').data;
        expect(fs.readFileSync(copy, 'utf8')).toBe(`${lines.join('\n')}\n`);
        // The decompressed copy's SHA-256 is in case.sqlite and in the import's custody entry.
        const copySha = createHash('sha256').update(fs.readFileSync(copy)).digest('hex');
        expect(handle.sqlite.prepare('SELECT copy_sha256 FROM source_files WHERE sha256 = ?').get(sha)).toEqual({
          copy_sha256: copySha,
        });
        const done = readCustody(handle.sqlite).find((e) => e.action === 'import.done');
        expect((done?.details.files as { sha256: string; copySha256?: string }[])[0]).toMatchObject({
          sha256: sha,
          copySha256: copySha,
        });
      } finally {
        await handle.close();
      }
    }
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'decisions'));
    fs.writeFileSync(path.join(dir, 'decisions', 'day.jsonl'), `${lines.join('\n')}\n`);
    await toParquet(dir);
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [dir])).status).toBe('done');
      const got = await rowsWithRaw(
        handle,
        'SELECT decision_id, source_file_id, line, row FROM decisions ORDER BY row',
      );
      expect(got.map((r) => [r.row, JSON.parse(String(r.raw)).decisionId])).toEqual([
        [1, 'g1'],
        [2, 'g2'],
        [3, 'g3'],
      ]);
      expect(JSON.parse(String(got[1].raw)).inputFeatures).toEqual({ income: 5 });
      expect(sourcesOf(handle.dir).filter((n) => n.endsWith('.parquet'))).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });

  it('shares one copy between imports of the same content, and the record view reads it', async () => {
    const file = write('decisions.jsonl', `${rec('s1')}\n${rec('s2')}\n`);
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [file])).status).toBe('done');
      const before = sourcesOf(handle.dir);
      expect(before).toHaveLength(2);
      expect((await importArchives(handle, [file], { force: true })).status).toBe('done');
      expect(sourcesOf(handle.dir)).toEqual(before);
      const views = await findRecords(handle, { target: 'decision:s2' });
      expect(views.map((v) => v.raw)).toEqual([rec('s2'), rec('s2')]);
    } finally {
      await handle.close();
    }
  });

  it('leaves no copy behind when an import fails or is cancelled, and keeps the copies of earlier imports', async () => {
    const first = write('first.jsonl', `${rec('k1')}\n`);
    const bad = write('bad.jsonl', `${rec('k2')}\nnot json\n`);
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [first])).status).toBe('done');
      const kept = sourcesOf(handle.dir);
      const strict = await importArchives(handle, [bad], { strict: true });
      expect(strict.status).toBe('failed');
      expect(sourcesOf(handle.dir)).toEqual(kept);
      const controller = new AbortController();
      controller.abort();
      const cancelled = await importArchives(handle, [bad], { signal: controller.signal });
      expect(cancelled.status).toBe('cancelled');
      expect(sourcesOf(handle.dir)).toEqual(kept);
    } finally {
      await handle.close();
    }
  });

  it('removes, on the next writable open, copies no finished import names and part files of dead processes', async () => {
    const file = write('decisions.jsonl', `${rec('o1')}\n`);
    const { ws, handle } = await newCase('orphans');
    const caseDir = handle.dir;
    expect((await importArchives(handle, [file])).status).toBe('done');
    const kept = sourcesOf(caseDir);
    await handle.close();
    // What a crash leaves: a copy moved into place for an import that never committed, and a part file.
    const dir = path.join(caseDir, SOURCES_DIR);
    fs.writeFileSync(path.join(dir, `${'ab'.repeat(32)}.jsonl`), 'orphan\n');
    fs.writeFileSync(path.join(dir, `${'ab'.repeat(32)}.lines`), Buffer.alloc(16));
    fs.writeFileSync(path.join(dir, '.import-9-9.jsonl.999999999.part'), 'partial');
    const reopened = await ws.open('orphans', { mode: 'write', actor: 'tester' });
    try {
      expect(sourcesOf(caseDir)).toEqual(kept);
      expect((await findRecords(reopened, { target: 'decision:o1' }))[0].raw).toBe(rec('o1'));
    } finally {
      await reopened.close();
    }
    // Deleting the case takes its read-only copies too.
    await ws.delete('orphans');
    expect(fs.existsSync(caseDir)).toBe(false);
  });

  it('says which file a missing copy belongs to, and still reads the raw column of older cases', async () => {
    const file = write('decisions.jsonl', `${rec('m1')}\n`);
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [file]);
      const copy = copyPaths(handle.dir, result.files[0].sha256, 'jsonl');
      fs.chmodSync(copy.data, 0o644);
      fs.rmSync(copy.data);
      await expect(findRecords(handle, { target: 'decision:m1' })).rejects.toThrow(
        /copy of decisions\.jsonl .* cannot be read/,
      );
      // A case imported before the copies holds the text in `raw`: that is read, no copy needed.
      await handle.duck.run(`UPDATE decisions SET raw = '{"decisionId":"m1","old":true}'`);
      const [row] = await rows(handle, 'SELECT source_file_id, line, row, raw FROM decisions');
      expect(await rawTexts(handle.dir, handle.sqlite, handle.duck, [row])).toEqual(['{"decisionId":"m1","old":true}']);
    } finally {
      await handle.close();
    }
  });

  it('case verification re-hashes the copies: an edited copy is tampering, a missing one leaves the case incomplete', async () => {
    const archive = copyExample();
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [archive])).status).toBe('done');
      const trust = {
        trustKeys: [path.join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')],
        trustTsa: [path.join(EXAMPLE, 'keys/tsa-root.pem')],
      };
      const first = await verifyCase(handle, trust);
      expect(first.report.verdict).toBe('intact');
      const copies = first.report.checks.find((c) => c.id === COPY_CHECK_ID);
      expect(copies).toMatchObject({ pass: 9, fail: 0 }); // one per data file of the example

      // Someone edits the text the drawer shows, inside the case folder; the archive itself is untouched.
      const sha = (
        handle.sqlite
          .prepare(
            "SELECT sha256 FROM source_files WHERE role = 'data' AND path LIKE 'decisions/%' ORDER BY id LIMIT 1",
          )
          .get() as { sha256: string }
      ).sha256;
      const copy = copyPaths(handle.dir, sha, 'jsonl').data;
      fs.chmodSync(copy, 0o644);
      fs.writeFileSync(copy, fs.readFileSync(copy, 'utf8').replace('"confidence":0.6299', '"confidence":0.9299'));
      const second = await verifyCase(handle, trust);
      expect(second.report.verdict).toBe('tampered');
      const found = second.report.findings.filter((f) => f.check === COPY_CHECK_ID);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ category: 'integrity', expected: sha });
      expect(found[0].message).toMatch(/copy of decisions\/.*changed since it was imported/);
      // The archive is as imported: nothing else fails.
      expect(second.report.findings.filter((f) => f.check !== COPY_CHECK_ID)).toEqual([]);

      fs.rmSync(copy);
      const third = await verifyCase(handle, trust);
      expect(third.report.verdict).toBe('incomplete');
      expect(third.report.findings.filter((f) => f.check === COPY_CHECK_ID)[0]).toMatchObject({
        category: 'completeness',
      });
    } finally {
      await handle.close();
    }
  });
  it('writes the copies an import placed to disk before it commits, and a copy that cannot be synced is an error', async () => {
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [EXAMPLE])).status).toBe('done');
      const placed = sourcesOf(handle.dir).map((n) => path.join(handle.dir, SOURCES_DIR, n));
      expect(placed.length).toBeGreaterThan(0);
      await expect(syncCopies(handle.dir, placed)).resolves.toBeUndefined();
      const gone = path.join(handle.dir, SOURCES_DIR, `${'0'.repeat(64)}.jsonl`);
      if (process.platform !== 'win32') await expect(syncCopies(handle.dir, [gone])).rejects.toThrow(/ENOENT/);
    } finally {
      await handle.close();
    }
  });
});
