// A report is written into a staging folder, `.report-<pid>-<random>`, and moved into place when complete. A
// writer killed meanwhile leaves that folder behind; the next report into the same folder removes the ones whose
// process is gone, and only those (a report being written by another process now keeps its folder).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeStagingDir, removeStaleStagingDirs } from '../../src/case/part-files.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { writeReport } from '../../src/report/write.ts';
import { newCase, removeTempDirs, tempDir } from './import-helpers.ts';

afterAll(removeTempDirs);

/** A process that makes its staging folder as the report writer does (its own pid in the name), then waits. */
async function stagingWriter(dir: string): Promise<{ child: ChildProcess; name: string }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'), path = require('path');
       const d = fs.mkdtempSync(path.join(process.argv[1], '.report-' + process.pid + '-'));
       fs.mkdirSync(path.join(d, 'csv'));
       fs.writeFileSync(path.join(d, 'report.html'), '<p>half written');
       fs.writeFileSync(path.join(d, 'csv', 'findings.csv'), 'a,b\\n');
       process.stdout.write(path.basename(d) + '\\n'); setInterval(() => {}, 1000);`,
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const name = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (b: Buffer) => resolve(b.toString().trim()));
    child.once('exit', () => reject(new Error('staging writer exited early')));
  });
  return { child, name };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

describe('report staging folders', () => {
  it('the next report into the folder removes the staging folders of killed writers, and only those', async () => {
    const tmp = tempDir('report-staging-');
    const archive = path.join(tmp, 'archive');
    await generateDemoArchive({ out: archive, decisions: 100, days: 1, seed: 3 });
    const { handle } = await newCase();
    const out = path.join(tmp, 'report');
    mkdirSync(out);
    const live = await stagingWriter(out); // another report being written now: left alone
    try {
      expect((await importArchives(handle, [archive])).status).toBe('done');
      const dead = [await stagingWriter(out), await stagingWriter(out)];
      for (const w of dead) await kill9(w.child);
      for (const w of dead) expect(w.name).toBe(`.report-${w.child.pid}-${w.name.slice(-6)}`);
      // Not a writer's staging folder: an older one without a pid, a file so named, a folder of the user's.
      mkdirSync(path.join(out, '.report-AbC123'));
      writeFileSync(path.join(out, `.report-999999-xYz789`), 'a file, not a folder');
      mkdirSync(path.join(out, 'report-1-abcdef'));
      const kept = ['.report-AbC123', '.report-999999-xYz789', 'report-1-abcdef', live.name];
      expect(readdirSync(out).sort()).toEqual([...kept, ...dead.map((w) => w.name)].sort());

      const written = await writeReport(handle, { outDir: out, formats: ['html', 'json'] });
      expect(written.files.map((f) => f.path).sort()).toEqual(['findings.json', 'report.html']);
      expect(readdirSync(out).sort()).toEqual([...kept, 'findings.json', 'report.html'].sort());
      // The live writer's folder and its files are untouched.
      expect(readdirSync(path.join(out, live.name)).sort()).toEqual(['csv', 'report.html']);
    } finally {
      await handle.close();
      await kill9(live.child);
    }
    // Once that writer is gone too, its folder goes with the next cleanup; this process's own never does.
    const mine = makeStagingDir(out, 'report');
    expect(path.basename(mine)).toMatch(new RegExp(`^\\.report-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(removeStaleStagingDirs(out, 'report')).toEqual([live.name]);
    expect(readdirSync(out)).toContain(path.basename(mine));
  }, 120_000);
});
