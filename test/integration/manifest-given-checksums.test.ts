// Case verification reads each archive file once: its custody pass computes what the manifest check needs
// (manifestChecksumWants) and hands it over (VerifyOptions.checksums). These tests show the manifest check
// takes what it is given when it answers the entry, computes itself when it does not, and that a file
// changed after import is still caught by both checks in one case verification.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import { checksumsOfFile, type ObjectChecksums } from '../../src/archive/s3checksums.ts';
import { importArchives } from '../../src/import/importer.ts';
import { verifyCase } from '../../src/verify/case-run.ts';
import { manifestChecksumWants } from '../../src/verify/checks/manifest.ts';
import { verifyArchives } from '../../src/verify/engine.ts';
import { EXAMPLE, copyExample, newCase, removeTempDirs } from './import-helpers.ts';

afterAll(removeTempDirs);

const FILE = 'decisions/2026-03-01.jsonl';

describe('checksums computed once for the custody record and the manifest', () => {
  it('the manifest check uses checksums it is given when they answer the entry, else reads the file', async () => {
    const archive = await openArchive(EXAMPLE);
    try {
      const want = (await manifestChecksumWants(archive)).get(FILE);
      expect(want?.algorithms.length).toBeGreaterThan(0);
      const file = archive.files.find((f) => f.path === FILE)!;
      const real = await checksumsOfFile(file.absPath, want?.partSizes, want?.algorithms);
      // Wrong values that answer the entry: used, so the (intact) file fails. The check cannot pass by
      // reading the file itself.
      const wrong: ObjectChecksums = {
        ...real,
        fullObject: Object.fromEntries(
          Object.keys(real.fullObject).map((k) => [k, 'AAAAAAAAAAA=']),
        ) as ObjectChecksums['fullObject'],
        md5: real.md5 === '' ? '' : '0'.repeat(32),
      };
      const used = await verifyArchives([archive], {
        checksums: new Map([[file.absPath, Promise.resolve(wrong)]]),
      });
      expect(used.findings.filter((f) => f.check === 'manifest-object' && f.file === FILE).length).toBeGreaterThan(0);
      // Values that do not answer it (no algorithm the entry names): the check reads the file, which passes.
      const partial: ObjectChecksums = { size: real.size, fullObject: {} as ObjectChecksums['fullObject'], md5: '' };
      const read = await verifyArchives([archive], {
        checksums: new Map([[file.absPath, Promise.resolve(partial)]]),
      });
      expect(read.findings.filter((f) => f.check === 'manifest-object' && f.file === FILE)).toEqual([]);
    } finally {
      await archive.close();
    }
  });

  it('a data file changed after import fails custody-source and manifest-object in one case verification', async () => {
    const archive = copyExample();
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [archive])).status).toBe('done');
      const trust = {
        trustKeys: [path.join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')],
        trustTsa: [path.join(EXAMPLE, 'keys/tsa-root.pem')],
      };
      expect((await verifyCase(handle, trust)).report.verdict).toBe('intact');
      const abs = path.join(archive, FILE);
      fs.writeFileSync(abs, fs.readFileSync(abs, 'utf8').replace('"confidence":0.6299', '"confidence":0.9299'));
      const run = await verifyCase(handle, trust);
      expect(run.report.verdict).toBe('tampered');
      const failed = new Set(run.report.findings.filter((f) => f.file === FILE).map((f) => f.check));
      expect(failed).toContain('custody-source');
      expect(failed).toContain('manifest-object');
    } finally {
      await handle.close();
    }
  });
});
