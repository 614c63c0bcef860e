// Fuzzing .jsonl.gz reading: gzip bytes mutated (header, deflate data, CRC and size trailer, truncation),
// gzip members concatenated or followed by junk, then read through openArchive + readRecords. When
// zlib itself can decompress the bytes, the records must be exactly those of the decompressed lines;
// when it cannot, the reader delivers what came before the damage and ends with one error naming the
// file and the line where reading stopped.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { isRecordError } from '../../src/archive/records.ts';
import { checkAgainstLines, collect, expectedLines, firstThrown } from './records-oracle.ts';
import {
  caseDir,
  expectClearError,
  fuzz,
  mutate,
  mutationsArb,
  removeTempDirs,
  runs,
  tempDir,
  timeoutFor,
} from './support.ts';
import type { Outcome } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

let tmp: string;
let plain: Buffer[];
beforeAll(() => {
  tmp = tempDir('gzip');
  plain = [
    Buffer.from(
      `${readFileSync(join(EXAMPLE, 'decisions/2026-03-01.jsonl'), 'utf8').split('\n').slice(0, 6).join('\n')}\n`,
    ),
    gunzipSync(readFileSync(join(EXAMPLE, 'reviews/2026-03-01.jsonl.gz'))),
  ];
});
afterAll(removeTempDirs);

/** Offsets of the gzip header fields and the CRC32 / ISIZE trailer. */
function gzipHot(b: Buffer): number[] {
  return [0, 1, 2, 3, 4, 8, 9, 10, 11, Math.max(0, b.length - 8), Math.max(0, b.length - 4)];
}

type Shape = 'one' | 'two-members' | 'junk-after' | 'header-fields';

const shapeArb = fc.constantFrom<Shape>('one', 'one', 'two-members', 'junk-after', 'header-fields');

function build(text: Buffer, shape: Shape, level: number): Buffer {
  const gz = gzipSync(text, { level });
  switch (shape) {
    case 'one':
      return gz;
    case 'two-members': {
      const cut = text.indexOf(0x0a, Math.floor(text.length / 2)) + 1;
      return Buffer.concat([gzipSync(text.subarray(0, cut), { level }), gzipSync(text.subarray(cut), { level })]);
    }
    case 'junk-after':
      return Buffer.concat([gz, Buffer.from('PK\u0003\u0004 junk that is not gzip')]);
    case 'header-fields': {
      // FEXTRA + FNAME + FCOMMENT set, with their fields spliced in after the fixed 10-byte header.
      const header = Buffer.from(gz.subarray(0, 10));
      header[3] |= 0x04 | 0x08 | 0x10;
      const extra = Buffer.from([4, 0, 0x41, 0x42, 2, 0]);
      return Buffer.concat([header, extra, Buffer.from('name.jsonl\0a comment\0'), gz.subarray(10)]);
    }
  }
}

async function checkGzipFile(bytes: Buffer): Promise<Outcome> {
  const dir = caseDir(tmp);
  try {
    const name = 'reviews.jsonl.gz';
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const items = await collect(path, name);
    let whole: Buffer | undefined;
    try {
      whole = gunzipSync(bytes);
    } catch {
      whole = undefined;
    }
    const thrown = await firstThrown(path, name);
    if (whole !== undefined) {
      // zlib reads it: the reader must give exactly the lines of the decompressed text.
      const firstError = checkAgainstLines(items, expectedLines(whole), name);
      if (!firstError) {
        if (thrown !== undefined) throw new Error(`'throw' mode threw on a clean file: ${String(thrown)}`);
        return 'valid';
      }
      expectClearError(thrown, `${name}:${firstError.line}: `, ['MALFORMED_RECORD', 'LIMIT_EXCEEDED'], {
        needLine: true,
      });
      return 'rejected';
    }
    // zlib refuses it: one error ends the items, naming where reading stopped; lines before it rise.
    const last = items[items.length - 1];
    if (!last || !isRecordError(last)) throw new Error('damaged gzip read without an error at the end');
    const m = /truncated or corrupt gzip data after line (\d+)/.exec(last.message);
    if (!m) throw new Error(`last error does not say where the gzip data broke: ${last.message}`);
    if (last.line !== Number(m[1]) + 1) throw new Error(`gzip error at line ${last.line}, message says ${m[1]}`);
    for (let i = 1; i < items.length; i++)
      if ((items[i].line ?? 0) <= (items[i - 1].line ?? 0)) throw new Error('line numbers do not rise');
    const firstError = items.find(isRecordError);
    const codes =
      firstError === last ? (['UNREADABLE_INPUT'] as const) : (['MALFORMED_RECORD', 'LIMIT_EXCEEDED'] as const);
    expectClearError(thrown, name, codes);
    if (firstError !== last && !(thrown as Error).message.startsWith(`${name}:${firstError?.line}: `))
      throw new Error(`'throw' mode does not stop at the first bad line: ${(thrown as Error).message}`);
    return 'rejected';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('fuzz: .jsonl.gz', () => {
  const n = runs(60);
  it(
    `mutated gzip data: exact lines when zlib can read it, else a clear stop at a line (${n} cases)`,
    async () => {
      await fuzz(
        'gzip',
        'gzip-bytes',
        fc.tuple(fc.nat(), shapeArb, fc.integer({ min: 1, max: 9 }), mutationsArb, fc.boolean()),
        ([pick, shape, level, mutations, aimAtHeader]) => {
          const gz = build(plain[pick % plain.length], shape, level);
          return checkGzipFile(mutate(gz, mutations, aimAtHeader ? gzipHot(gz) : []));
        },
        n,
      );
    },
    timeoutFor(n, 200),
  );

  const m = runs(30);
  it(
    `unmutated shapes (multi-member, junk after, header fields) read as their text (${m} cases)`,
    async () => {
      await fuzz(
        'gzip',
        'gzip-shapes',
        fc.tuple(fc.nat(), shapeArb, fc.integer({ min: 1, max: 9 })),
        ([pick, shape, level]) => checkGzipFile(build(plain[pick % plain.length], shape, level)),
        m,
      );
    },
    timeoutFor(m, 200),
  );
});
