import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectArchive, formatInspectReport } from '../../src/archive/inspect.ts';
import type { InspectReport } from '../../src/archive/inspect.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(REPO, 'test/fixtures/spec/example');
const PYTHON_LOG = join(REPO, 'test/fixtures/spec/example-python-logger.jsonl');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-inspect-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

async function packZip(out: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const rel of filesUnder(EXAMPLE)) zip.addFile(join(EXAMPLE, rel), `example/${rel}`);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out));
}

async function packTar(): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  pack.entry({ name: 'example/', type: 'directory' });
  for (const rel of filesUnder(EXAMPLE)) {
    const data = readFileSync(join(EXAMPLE, rel));
    await new Promise<void>((ok, fail) =>
      pack.entry({ name: `example/${rel}`, size: data.length }, data, (e) => (e ? fail(e) : ok())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Record counts per stream, taken straight from the example's files (gzip included). */
function expectedCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const rel of filesUnder(EXAMPLE)) {
    const stream = rel.split('/')[0];
    if (!['decisions', 'lifecycle', 'reviews', 'outcomes'].includes(stream)) continue;
    const raw = readFileSync(join(EXAMPLE, rel));
    const text = rel.endsWith('.gz') ? gunzipSync(raw).toString() : raw.toString();
    counts[stream] = (counts[stream] ?? 0) + text.split('\n').filter((l: string) => l.trim() !== '').length;
  }
  return counts;
}

function checkExampleReport(r: InspectReport): void {
  expect(r.kinds).toEqual(['decision', 'lifecycle', 'review', 'outcome']);
  expect(r.records.byKind).toEqual({ decision: 60, lifecycle: 12, review: 24, outcome: 19 });
  const counts = expectedCounts();
  expect(counts).toEqual({ decisions: 60, lifecycle: 12, reviews: 24, outcomes: 19 });
  expect(
    r.streams.map((s) => [s.name, s.kind, s.records, s.files.length, s.checkpoints, s.firstSeq, s.lastSeq]),
  ).toEqual([
    ['decisions', 'decision', counts.decisions, 2, 2, 0, 59],
    ['lifecycle', 'lifecycle', counts.lifecycle, 3, 3, 0, 11],
    ['outcomes', 'outcome', counts.outcomes, 2, 2, 0, 18],
    ['reviews', 'review', counts.reviews, 2, 2, 0, 23],
  ]);
  expect(r.records.byDialect).toEqual({ camelCase: 115 });
  // The example holds 9 checkpoints (2 decisions, 3 lifecycle, 2 reviews, 2 outcomes), all signed and stamped.
  expect(r.checkpoints).toMatchObject({
    total: 9,
    withSignature: 9,
    withTimestamp: 9,
    withoutSignature: [],
    withoutTimestamp: [],
  });
  expect(r.manifest).toEqual({ present: true, path: 'manifest/objects.jsonl', entries: 36 });
  expect(r.keys).toHaveLength(3);
  expect(r.present).toEqual({
    descriptor: true,
    checkpoints: true,
    signatures: true,
    timestamps: true,
    manifest: true,
    keys: true,
    explanations: false,
  });
  expect(r.records.errors).toBe(0);
  expect(r.problems).toEqual([]);
  expect(r.warnings).toEqual([]);
}

describe('inspect the example archive', () => {
  it('as a folder', async () => {
    const r = await inspectArchive(EXAMPLE);
    expect(r.container).toBe('folder');
    checkExampleReport(r);
    const text = formatInspectReport(r);
    expect(text).toContain('Checkpoints: 9 (9 with .sig, 9 with .tsr)');
    expect(text).toContain('Manifest: manifest/objects.jsonl, 36 entries');
  });

  it('packed as zip, tar and tar.gz', async () => {
    const zip = join(tmp, 'example.zip');
    await packZip(zip);
    const tar = await packTar();
    writeFileSync(join(tmp, 'example.tar'), tar);
    writeFileSync(join(tmp, 'example.tgz'), gzipSync(tar));
    for (const [file, container] of [
      ['example.zip', 'zip'],
      ['example.tar', 'tar'],
      ['example.tgz', 'tar.gz'],
    ]) {
      const r = await inspectArchive(join(tmp, file));
      expect(r.container).toBe(container);
      checkExampleReport(r);
    }
  });

  it('recognises the Python logger output as snake_case decisions', async () => {
    const r = await inspectArchive(PYTHON_LOG);
    expect(r.container).toBe('file');
    expect(r.kinds).toEqual(['decision']);
    expect(r.records.byDialect).toEqual({ snake_case: 40 });
    expect(r.streams).toMatchObject([{ name: 'decisions', kind: 'decision', records: 40, chained: 0 }]);
    expect(r.present.checkpoints).toBe(false);
    expect(formatInspectReport(r)).toContain('decisions  decision  40  no chain  snake_case 40');
  });

  it('lists bad records with file:line without stopping', async () => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    const good = readFileSync(join(EXAMPLE, 'outcomes/2026-03-31.jsonl'), 'utf8').split('\n');
    good.splice(2, 0, 'not json');
    writeFileSync(join(dir, 'o.jsonl'), good.join('\n'));
    const r = await inspectArchive(dir);
    expect(r.records.byKind).toEqual({ outcome: 10 });
    expect(r.records.errors).toBe(1);
    expect(r.problems[0]).toMatchObject({ file: 'o.jsonl', line: 3 });
    expect(r.problems[0].message).toMatch(/^o\.jsonl:3: unexpected "n", expected a value/);
    expect(r.present.descriptor).toBe(false);
  });
});

describe('audit-ws inspect (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(REPO, 'bin/audit-ws.mjs'), 'inspect', ...args], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('prints the JSON report and exits 0', () => {
    const res = cli('test/fixtures/spec/example', '--json');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const r = JSON.parse(res.stdout) as InspectReport;
    expect(r.records.total).toBe(115);
    expect(r.streams.map((s) => s.name)).toEqual(['decisions', 'lifecycle', 'outcomes', 'reviews']);
    expect(r.checkpoints.total).toBe(9);
  });

  it('exits 2 with one line naming the file on bad input, never a stack trace', () => {
    const bad = join(tmp, 'truncated.tar.gz');
    const tgz = gzipSync(Buffer.alloc(200_000, 'x'));
    writeFileSync(bad, tgz.subarray(0, tgz.length - 10));
    for (const target of [bad, join(tmp, 'missing-archive')]) {
      const res = cli(target);
      expect(res.status).toBe(2);
      expect(res.stdout).toBe('');
      const lines = res.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(target);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
