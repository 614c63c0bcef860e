import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { recordHash } from '../../src/archive/canonical.ts';
import { readLines } from '../../src/archive/lines.ts';
import { parseRecordLine } from '../../src/archive/records.ts';
import type { ArchiveFile } from '../../src/archive/open.ts';
import { planChunks } from '../../src/verify/scan/plan.ts';
import { scanChunk, type ChunkResult } from '../../src/verify/scan/scan-chunk.ts';

/**
 * The synchronous range scanner replaces readLines + parseRecordLine on the worker path, so it must see
 * the same lines: numbering with blank lines, BOM and CRLF handling, over-long and non-UTF-8 lines,
 * a last line without \n, gzip, and ranges cut anywhere on line boundaries.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function file(name: string, content: Buffer | string): string {
  const d = mkdtempSync(join(tmpdir(), 'scan-chunk-'));
  dirs.push(d);
  const p = join(d, name);
  writeFileSync(p, content);
  return p;
}

function chain(n: number, from = 0, extra: (i: number) => Record<string, unknown> = () => ({})): string[] {
  const lines: string[] = [];
  let prev = '0'.repeat(64);
  for (let i = 0; i < n; i++) {
    const rec: Record<string, unknown> = { traceId: `t${i}`, note: null, ...extra(i), seq: from + i, prevHash: prev };
    rec.hash = recordHash(rec);
    prev = rec.hash as string;
    lines.push(JSON.stringify(rec));
  }
  return lines;
}

type Seen = { line: number; what: string };

/** What the reference path (readLines + parseRecordLine) sees in a file, line by line. */
async function reference(path: string, gzip: boolean, maxLineBytes?: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  for await (const ev of readLines(path, { gzip, displayName: 'f', maxLineBytes })) {
    if (ev.kind === 'too-long') seen.push({ line: ev.line, what: `too-long ${ev.bytes}` });
    else if (ev.kind === 'not-utf8') seen.push({ line: ev.line, what: 'not-utf8' });
    else {
      const p = parseRecordLine(ev.text);
      if (p === undefined) continue;
      if (!p.ok) seen.push({ line: ev.line, what: `error ${p.message}` });
      else seen.push({ line: ev.line, what: `record ${String(p.value.seq)} ${String(p.value.hash)}` });
    }
  }
  return seen;
}

/** The same, from scan results of consecutive ranges. */
function fromScan(results: ChunkResult[]): Seen[] {
  const seen: Seen[] = [];
  let base = 0;
  for (const r of results) {
    for (const e of r.errors) {
      const m = /\((\d+) bytes\), skipped$/.exec(e.message);
      seen.push({
        line: base + e.line,
        what:
          e.code === 'LIMIT_EXCEEDED'
            ? `too-long ${m?.[1]}`
            : e.message === 'line is not valid UTF-8'
              ? 'not-utf8'
              : `error ${e.message}`,
      });
    }
    for (let i = 0; i < r.records; i++) {
      const d = r.details.find((x) => x.i === i);
      const hash = d ? d.hash : Buffer.from(r.hashes.subarray(i * 32, i * 32 + 32)).toString('hex');
      seen.push({
        line: base + r.lineNos[i],
        what: `record ${Number.isNaN(r.seqs[i]) ? 'undefined' : r.seqs[i]} ${hash}`,
      });
    }
    base += r.lines;
  }
  return seen.sort((a, b) => a.line - b.line);
}

async function scanFile(path: string, chunkBytes: number, maxLineBytes?: number): Promise<ChunkResult[]> {
  const gzip = path.endsWith('.gz');
  const f = { path: 'f', absPath: path, size: statSync(path).size, format: gzip ? 'jsonl.gz' : 'jsonl' } as ArchiveFile;
  const out: ChunkResult[] = [];
  for (const job of planChunks(f, chunkBytes)) out.push(await scanChunk({ ...job, maxLineBytes }));
  return out;
}

describe('scanChunk reads lines exactly as readLines does', () => {
  const lines = chain(40, 0, (i) => ({ text: i % 7 === 0 ? 'tab\\there "quoted" \u00e9\u20ac\ud83d\ude00' : `r${i}` }));
  const messy = [
    '\ufeff' + lines[0],
    lines[1] + '\r',
    '',
    '   \t',
    lines[2],
    '{not json',
    '[1,2]',
    lines[3].replace('"traceId"', '"traceId":"dup","traceId"'),
    ...lines.slice(4, 20),
    'x'.repeat(300),
    ...lines.slice(20, 39),
    `{"seq":99,"hash":"${'a'.repeat(64)}","n":1e400}`,
  ];
  const text = messy.join('\n') + '\n' + lines[39];
  const bytes = Buffer.concat([Buffer.from(text), Buffer.from('\n\xff\xfe\n', 'latin1'), Buffer.from(lines[0])]);

  for (const chunkBytes of [1 << 20, 2000, 301, 1]) {
    it(`plain file, ranges of ${chunkBytes} bytes`, async () => {
      const p = file('a.jsonl', bytes);
      const expected = await reference(p, false, 256);
      const results = await scanFile(p, chunkBytes, 256);
      expect(fromScan(results)).toEqual(expected);
      expect(results.reduce((n, r) => n + r.lines, 0)).toBe(text.split('\n').length + 2);
      expect(expected.some((s) => s.what.startsWith('too-long'))).toBe(true);
      expect(expected.filter((s) => s.what === 'not-utf8')).toHaveLength(1);
    });
  }

  it('gzip, and a truncated gzip stops with the last good line', async () => {
    const gz = gzipSync(bytes);
    const p = file('a.jsonl.gz', gz);
    expect(fromScan(await scanFile(p, 1000, 256))).toEqual(await reference(p, true, 256));
    const cut = file('b.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const [r] = await scanFile(cut, 1000, 256);
    expect(r.fatal?.message).toMatch(/^truncated or corrupt gzip data after line \d+ \(/);
    expect(r.fatal?.line).toBe(r.lines + 1);
  });

  it('a gzip bomb is refused as readLines refuses it (where exactly depends on chunk sizes)', async () => {
    const p = file(
      'bomb.jsonl.gz',
      gzipSync(Buffer.concat([Buffer.from(chain(3).join('\n') + '\n'), Buffer.alloc(20 << 20, 0x0a)])),
    );
    const shape = /expands more than 200:1 \(\d+:1\) after line (\d+), refused as a decompression bomb$/;
    await expect(async () => {
      for await (const ev of readLines(p, { gzip: true, displayName: 'f' })) void ev;
    }).rejects.toThrow(shape);
    const [r] = await scanFile(p, 1 << 20);
    expect(r.fatal?.message).toMatch(shape);
    expect(r.fatal?.line).toBe(Number(shape.exec(r.fatal!.message)![1]) + 1);
    expect(r.records).toBe(3);
    expect(r.lines).toBeLessThan((20 << 20) / 2);
  });

  it('a line longer than the read buffer is read whole, and one over the limit is skipped unbuffered', async () => {
    const big = chain(3, 0, (i) => ({ blob: i === 1 ? 'y'.repeat(5 * 1024 * 1024) : 'small' }));
    const p = file('big.jsonl', big.join('\n') + '\n');
    const r = await scanFile(p, 64 << 20);
    expect(r[0].records).toBe(3);
    expect(r[0].normal[1]).toBe(1);
    expect(r[0].normal[2]).toBe(1);
    const limited = await scanFile(p, 64 << 20, 1024 * 1024);
    expect(fromScan(limited)).toEqual(await reference(p, false, 1024 * 1024));
    expect(limited[0].errors[0]).toMatchObject({ line: 2, code: 'LIMIT_EXCEEDED' });
  });

  it('pre-links records: a plainly linked record is normal, a break is detailed with both hashes', async () => {
    const c = chain(6);
    const bad = JSON.parse(c[3]) as Record<string, unknown>;
    bad.traceId = 'changed';
    c[3] = JSON.stringify(bad);
    c[5] = c[5].replace(/"prevHash":"[0-9a-f]{64}"/, `"prevHash":"${'f'.repeat(64)}"`);
    const [r] = await scanFile(file('c.jsonl', c.join('\n')), 1 << 20);
    // the first record of a range and every break go to the main thread in full; record 4 still links
    // to the hash record 3 claims, so only record 3 (content) and record 5 (link) are not plain
    expect([...r.normal]).toEqual([0, 1, 1, 0, 1, 0]);
    const d3 = r.details.find((d) => d.i === 3)!;
    expect(d3.hash).toBe(bad.hash);
    expect(d3.computed).toBe(recordHash(bad));
    expect(r.details.find((d) => d.i === 5)).toMatchObject({ seq: 5, prevHash: 'f'.repeat(64) });
  });

  it('leaf hashes only for records a checkpoint covers', async () => {
    const [r] = await scanFile(file('d.jsonl', chain(6).join('\n')), 1 << 20);
    const p = file('e.jsonl', chain(6).join('\n'));
    const f = { path: 'f', absPath: p, size: statSync(p).size, format: 'jsonl' } as ArchiveFile;
    const [anchored] = await Promise.all(planChunks(f).map((j) => scanChunk({ ...j, anchors: [1, 2, 4, 4] })));
    const zero = (x: ChunkResult, i: number) => x.leaves.subarray(i * 32, i * 32 + 32).every((b) => b === 0);
    expect([0, 1, 2, 3, 4, 5].map((i) => zero(anchored, i))).toEqual([true, false, false, true, false, true]);
    expect([0, 1, 2, 3, 4, 5].map((i) => zero(r, i))).toEqual([false, false, false, false, false, false]);
    expect(anchored.leaves.subarray(32, 64)).toEqual(r.leaves.subarray(32, 64));
  });

  it('a number JSON cannot carry makes the record unverifiable, not tampered', async () => {
    const c = chain(2, 0, (i) => ({ big: i }));
    const rec = JSON.parse(c[1]) as Record<string, unknown>;
    c[1] = c[1].replace('"big":1', '"big":1e400');
    const [r] = await scanFile(file('f.jsonl', c.join('\n')), 1 << 20);
    const d = r.details.find((x) => x.i === 1)!;
    expect(d.unverifiable).toMatch(/1e400/);
    expect(d.computed).toBeUndefined();
    expect(d.hash).toBe(rec.hash);
  });
});
