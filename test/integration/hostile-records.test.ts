// Hostile record contents, each in a generated archive, through the reader and through verification on
// both of its paths (workers: 0 reads inline with readRecords; workers: 1 scans byte ranges in a worker).
// Nesting and numbers beyond 2^53 also go through the import (it applies the reader's limits).
// Already covered elsewhere and not repeated: duplicate member names, NaN in the import
// (import-bad-input.test.ts), lines that are not UTF-8 and over-long lines in the reader (records.test.ts),
// the 100 MB line in the import, big INT64 in Parquet (records.test.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { GENESIS_PREV_HASH, recordHash } from '../../src/archive/canonical.ts';
import { parseStrictJson } from '../../src/archive/jsontext.ts';
import { readCheckpoint } from '../../src/archive/manifest.ts';
import { openArchive } from '../../src/archive/open.ts';
import { readRecords } from '../../src/archive/records.ts';
import { AuditWsError } from '../../src/errors.ts';
import { loadKeyFile } from '../../src/verify/crypto/keys.ts';
import { verifyTimestamp } from '../../src/verify/crypto/timestamp.ts';
import { verifyArchives } from '../../src/verify/engine.ts';
import type { VerifyReport } from '../../src/verify/engine.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { importArchives } from '../../src/import/importer.ts';
import type { ImportResult } from '../../src/import/importer.ts';
import { count, newCase, removeTempDirs, rows, toParquet } from './import-helpers.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-hostile-records-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeTempDirs();
});

const base = (i: number) => ({
  decisionId: `d-${i}`,
  modelId: 'm',
  prediction: 'approve',
  confidence: 0.5,
  timestamp: `2026-03-01T00:0${i}:00Z`,
});

/** Writes decisions/x.jsonl of a chain; `line(i, text)` may rewrite the text of line i+1 after hashing. */
function chainArchive(
  values: Record<string, unknown>[],
  line: (i: number, text: string) => string = (_, t) => t,
): string {
  const dir = join(tmp, `archive-${++n}`);
  mkdirSync(join(dir, 'decisions'), { recursive: true });
  let prev = GENESIS_PREV_HASH;
  const lines = values.map((v, seq) => {
    const rec = { ...v, seq, prevHash: prev };
    const hash = recordHash(rec);
    prev = hash;
    return line(seq, JSON.stringify({ ...rec, hash }));
  });
  writeFileSync(join(dir, 'decisions/x.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

async function verifyBoth(dir: string): Promise<[VerifyReport, VerifyReport]> {
  const out: VerifyReport[] = [];
  for (const workers of [0, 1]) {
    const archive = await openArchive(dir);
    try {
      out.push(await verifyArchives([archive], { workers }));
    } finally {
      await archive.close();
    }
  }
  return out as [VerifyReport, VerifyReport];
}

async function readError(dir: string, file = 'decisions/x.jsonl'): Promise<AuditWsError> {
  const archive = await openArchive(dir);
  try {
    const f = archive.files.find((x) => x.path === file);
    for await (const r of readRecords(archive, f!)) void r;
  } catch (err) {
    expect(err).toBeInstanceOf(AuditWsError);
    return err as AuditWsError;
  } finally {
    await archive.close();
  }
  throw new Error('read without an error');
}

const DEEP_ARRAYS = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const DEEP_OBJECTS = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

describe('deeply nested JSON (billion-laughs style)', () => {
  it.each([
    ['100,000 nested arrays', DEEP_ARRAYS],
    ['100,000 nested objects', DEEP_OBJECTS],
  ])(
    'a record holding %s is refused at its line by the reader and both verification paths, no stack overflow',
    async (_, deep) => {
      const dir = chainArchive([base(0), base(1), base(2)], (i, t) =>
        i === 1 ? t.replace('"modelId"', `"deep":${deep},"modelId"`) : t,
      );
      const err = await readError(dir);
      expect(err.code).toBe('MALFORMED_RECORD');
      expect(err.message).toMatch(/^decisions\/x\.jsonl:2: nested deeper than 256 levels \(column \d+\)$/);
      expect(err.details).toMatchObject({ file: 'decisions/x.jsonl', line: 2 });
      for (const report of await verifyBoth(dir)) {
        const bad = report.findings.filter((f) => f.check === 'record-format');
        expect(bad).toHaveLength(1);
        expect(bad[0]).toMatchObject({ status: 'fail', file: 'decisions/x.jsonl', line: 2 });
        expect(bad[0].message).toMatch(/nested deeper than 256 levels/);
        // the records around it were read and checked
        expect(report.checks.find((c) => c.id === 'record-hash')?.pass).toBe(2);
      }
    },
  );

  it('nesting in archive.json and in a checkpoint is refused naming the file and line', async () => {
    const dir = chainArchive([base(0)]);
    writeFileSync(join(dir, 'archive.json'), `{\n  "format": "ai-audit-archive",\n  "x": ${DEEP_ARRAYS}\n}\n`);
    const err = await openArchive(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).message).toMatch(/^archive\.json:3: nested deeper than 256 levels \(column \d+\)$/);

    const dir2 = chainArchive([base(0)]);
    mkdirSync(join(dir2, 'checkpoints/decisions'), { recursive: true });
    writeFileSync(join(dir2, 'checkpoints/decisions/day.json'), `{"stream":"decisions",\n"x":${DEEP_OBJECTS}}`);
    const archive = await openArchive(dir2);
    try {
      const cpErr = await readCheckpoint(archive, archive.checkpoints[0]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((cpErr as AuditWsError).message).toMatch(
        /^checkpoints\/decisions\/day\.json:2: nested deeper than 256 levels/,
      );
    } finally {
      await archive.close();
    }
  });
});

/** Imports one file into a fresh case; returns the result and the decisions it holds. */
async function importOne(
  file: string,
  strict = false,
): Promise<{ result: ImportResult; decisions: Record<string, unknown>[] }> {
  const { handle } = await newCase();
  try {
    const result = await importArchives(handle, [file], { strict });
    const decisions = await rows(handle, 'SELECT decision_id, line, latency_ms FROM decisions ORDER BY line');
    return { result, decisions };
  } finally {
    await handle.close();
  }
}

const rejectsOf = (r: ImportResult) => r.rejects.map((j) => `${j.file}:${j.line}: ${j.reason}`);

/** `{"a":` n times around 1: a value nested n levels deep (n objects). */
const nestedObjects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const nestedArrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const rec = (id: string, extra = '') =>
  `{"decisionId":"${id}","modelId":"m","prediction":"approve","timestamp":"2026-03-01T00:00:00Z"${extra}}`;

describe("deeply nested records at import (the reader's 256-level limit)", () => {
  // The record itself is one level: a member nested n levels makes n + 1.
  const lines = [
    rec('ok-1'),
    rec('deep-100000', `,"deep":${DEEP_ARRAYS}`),
    rec('deep-257', `,"deep":${nestedObjects(256)}`),
    rec('at-256', `,"deep":${nestedObjects(255)}`),
    rec('wide', `,"many":[${Array.from({ length: 300 }, (_, i) => `{"i":[${i}]}`).join(',')}]`),
    rec('brackets-in-a-string', `,"note":"${'[{'.repeat(400)}"`),
    rec('deep-257-arrays', `,"deep":${nestedArrays(256)}`),
    rec('ok-2'),
  ];
  const text = `${lines.join('\n')}\n`;

  it('the import rejects exactly the lines the reader refuses, with file and line; lenient keeps the others', async () => {
    // The boundary is the reader's: the same lines fail parseStrictJson.
    expect(lines.map((l) => parseStrictJson(l).ok)).toEqual([true, false, false, true, true, true, false, true]);
    for (const name of ['deep.jsonl', 'deep.jsonl.gz']) {
      const file = join(tmp, `nest-${++n}-${name}`);
      writeFileSync(file, name.endsWith('.gz') ? gzipSync(text) : text);
      const shown = file.split('/').pop();
      const { result, decisions } = await importOne(file);
      expect(result.status).toBe('done');
      expect(decisions.map((d) => d.decision_id)).toEqual(['ok-1', 'at-256', 'wide', 'brackets-in-a-string', 'ok-2']);
      // Same words and column as the reader's (parseStrictJson gives the offset it reports).
      expect(rejectsOf(result)).toEqual(
        lines.flatMap((l, i) => {
          const p = parseStrictJson(l);
          return p.ok ? [] : [`${shown}:${i + 1}: ${p.message} (column ${p.offset + 1})`];
        }),
      );
      expect(rejectsOf(result)[0]).toMatch(/:2: nested deeper than 256 levels \(column \d+\)$/);
      expect(result.files[0].read).toBe('exact (holds a record nested deeper than 256 levels)');

      const strict = await importOne(file, true);
      expect(strict.result.status).toBe('failed');
      expect(strict.decisions).toEqual([]);
      expect(strict.result.error).toMatch(/strict import: 3 record\(s\) rejected .*nested deeper than 256 levels/);
    }
  });

  it('lines that only look bracket-heavy (a wide array, brackets in a string) keep the fast path', async () => {
    const file = join(tmp, `wide-${++n}.jsonl`);
    writeFileSync(file, `${[lines[0], lines[3], lines[4], lines[5]].join('\n')}\n`);
    const { result, decisions } = await importOne(file);
    expect(result.files[0].read).toBe('fast');
    expect(result.rejects).toEqual([]);
    expect(decisions).toHaveLength(4);
  });
});

/** A line whose hash an exact producer (arbitrary-precision integers, e.g. Python) computed over `token`. */
function exactProducerLine(seq: number, prevHash: string, token: string): string {
  const rec = { ...base(seq), latencyMs: '\u0000BIG\u0000', seq, prevHash };
  const canonical = (canonicalize(rec) as string).replace('"\\u0000BIG\\u0000"', token);
  const hash = createHash('sha256').update(canonical).digest('hex');
  return JSON.stringify({ ...rec, hash }).replace('"\\u0000BIG\\u0000"', token);
}

describe('numbers JSON cannot carry exactly (beyond 2^53, beyond a double)', () => {
  it.each(['9007199254740993', '-9007199254740993', '18446744073709551616', '1e400', '-1e400'])(
    'a record holding %s is unverifiable on both paths, never "intact" and never "tampered"',
    async (token) => {
      const dir = join(tmp, `big-${++n}`);
      mkdirSync(join(dir, 'decisions'), { recursive: true });
      writeFileSync(join(dir, 'decisions/x.jsonl'), `${exactProducerLine(0, GENESIS_PREV_HASH, token)}\n`);
      for (const report of await verifyBoth(dir)) {
        expect(report.verdict).toBe('unverifiable');
        const f = report.findings.find((x) => x.check === 'record-hash');
        expect(f).toMatchObject({ status: 'unverifiable', file: 'decisions/x.jsonl', line: 1 });
        expect(f?.message).toContain(token);
        expect(f?.message).toMatch(/beyond (2\^53-1|the range of a JSON number)/);
        expect(report.findings.some((x) => x.status === 'fail')).toBe(false);
      }
    },
  );

  it('the same bytes a JS producer hashed after rounding do not verify as the rounded value', async () => {
    // 9007199254740993 rounds to ...992: a JS producer's hash of the rounded record fits both texts.
    const dir = chainArchive([{ ...base(0), latencyMs: 9007199254740992 }], (_, t) =>
      t.replace('9007199254740992', '9007199254740993'),
    );
    for (const report of await verifyBoth(dir)) {
      expect(report.verdict).toBe('unverifiable');
      expect(report.findings.find((x) => x.check === 'record-hash')?.message).toContain('9007199254740993');
    }
  });

  it('2^53-1, -(2^53-1) and large doubles written as such still verify', async () => {
    const dir = chainArchive([
      { ...base(0), latencyMs: 9007199254740991 },
      { ...base(1), latencyMs: -9007199254740991 },
      { ...base(2), score: 1.5e300, tiny: 5e-324 },
    ]);
    for (const report of await verifyBoth(dir)) {
      expect(report.findings.filter((x) => x.check === 'record-hash')).toEqual([]);
      expect(report.checks.find((c) => c.id === 'record-hash')?.pass).toBe(3);
    }
  });
});

describe('numbers a typed column would hold rounded, at import', () => {
  const lines = [
    rec('ok', ',"latencyMs":12.5,"seq":1'),
    rec('seq-big', ',"seq":9007199254740993'),
    rec('latency-big', ',"latencyMs":9007199254740993'),
    rec('latency-1e400', ',"latencyMs":1e400'),
    rec('latency-neg-big', ',"latencyMs":-9007199254740993'),
    rec('seq-huge', ',"seq":12345678901234567890123'),
    rec('time-1e400').replace('"2026-03-01T00:00:00Z"', '1E+400'),
    rec('confidence-long', ',"confidence":123456789012345678901234567890123456789012345'),
    // Held exactly by a double: stored as written (verification still calls them unverifiable).
    rec('latency-2^53', ',"latencyMs":9007199254740992'),
    rec('latency-max-safe', ',"latencyMs":-9007199254740991'),
    rec('latency-1.5e300', ',"latencyMs":1.5e300'),
    rec('confidence-17-digits', ',"confidence":0.12345678901234567'),
    rec('seq-max-safe', ',"seq":9007199254740991'),
    // Not a typed member: kept in the raw text (and extra), the record imported.
    rec('feature-big', ',"inputFeatures":{"accountId":9007199254740993}'),
  ];
  const expected = [
    '2: seq: number 9007199254740993 cannot be stored exactly (beyond 2^53)',
    '3: latencyMs: number 9007199254740993 cannot be stored exactly (beyond 2^53)',
    '4: latencyMs: number 1e400 cannot be stored exactly (beyond the range of a double)',
    '5: latencyMs: number -9007199254740993 cannot be stored exactly (beyond 2^53)',
    '6: seq: number 12345678901234567890123 cannot be stored exactly (beyond 2^53)',
    '7: timestamp: number 1E+400 cannot be stored exactly (beyond the range of a double)',
    '8: confidence: number 1234567890123456789012345678901234567890... cannot be stored exactly (beyond 2^53)',
  ];

  it('JSONL: rejected with file and line where the column would change the value; lenient keeps the rest, strict nothing', async () => {
    const file = join(tmp, `numbers-${++n}.jsonl`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { result, decisions } = await importOne(file);
    expect(result.status).toBe('done');
    expect(result.rejects.map((r) => `${r.line}: ${r.reason}`)).toEqual(expected);
    expect(result.rejects.every((r) => r.file === file.split('/').pop())).toBe(true);
    expect(decisions.map((d) => [d.decision_id, d.latency_ms])).toEqual([
      ['ok', 12.5],
      ['latency-2^53', 9007199254740992],
      ['latency-max-safe', -9007199254740991],
      ['latency-1.5e300', 1.5e300],
      ['confidence-17-digits', null],
      ['seq-max-safe', null],
      ['feature-big', null],
    ]);
    const strict = await importOne(file, true);
    expect(strict.result.status).toBe('failed');
    expect(strict.decisions).toEqual([]);
    expect(strict.result.rejects.map((r) => `${r.line}: ${r.reason}`)).toEqual(expected);
  });

  it('Parquet: a 64-bit integer column is judged the same way, by row', async () => {
    const dir = join(tmp, `numbers-pq-${++n}`);
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    writeFileSync(
      join(dir, 'decisions/x.jsonl'),
      `${[
        rec('p1', ',"latencyMs":12,"seq":1'),
        rec('p2', ',"latencyMs":9007199254740993,"seq":2'),
        rec('p3', ',"latencyMs":13,"seq":9007199254740993'),
        rec('p4', ',"latencyMs":9007199254740992,"seq":4'),
      ].join('\n')}\n`,
    );
    await toParquet(dir);
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [dir]);
      expect(result.rejects.map((r) => `${r.file} row ${r.row}: ${r.reason}`)).toEqual([
        'decisions/x.parquet row 2: latencyMs: number 9007199254740993 cannot be stored exactly (beyond 2^53)',
        'decisions/x.parquet row 3: seq: number 9007199254740993 cannot be stored exactly (beyond 2^53)',
      ]);
      expect(await count(handle, 'decisions')).toBe(2);
    } finally {
      await handle.close();
    }
  });
});

describe('Parquet FLOAT and DOUBLE columns holding infinity or NaN', () => {
  it('are refused by row, naming the member (no JSON number carries them); finite values import', async () => {
    const dir = join(tmp, `nonfinite-pq-${++n}`);
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    writeFileSync(
      join(dir, 'decisions/x.jsonl'),
      `${ids.map((id, i) => rec(id, `,"latencyMs":${i + 10.5},"confidence":0.5`)).join('\n')}\n`,
    );
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const src = join(dir, 'decisions/x.jsonl');
    await con.run(
      `COPY (SELECT * REPLACE (CASE decisionId WHEN 'p2' THEN 'inf'::DOUBLE WHEN 'p3' THEN '-inf'::DOUBLE WHEN 'p4' THEN 'nan'::DOUBLE ELSE latencyMs END AS latencyMs,
         CASE decisionId WHEN 'p5' THEN 'nan'::FLOAT ELSE 0.5::FLOAT END AS confidence)
       FROM read_json('${src}', timestampformat='x')) TO '${join(dir, 'decisions/x.parquet')}' (FORMAT parquet)`,
    );
    con.closeSync();
    rmSync(src);
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [dir]);
      expect(result.rejects.map((r) => `${r.file} row ${r.row}: ${r.reason}`)).toEqual([
        'decisions/x.parquet row 2: latencyMs: number inf cannot be a JSON number (Parquet DOUBLE)',
        'decisions/x.parquet row 3: latencyMs: number -inf cannot be a JSON number (Parquet DOUBLE)',
        'decisions/x.parquet row 4: latencyMs: number nan cannot be a JSON number (Parquet DOUBLE)',
        'decisions/x.parquet row 5: confidence: number nan cannot be a JSON number (Parquet FLOAT)',
      ]);
      expect(await count(handle, 'decisions')).toBe(1);
    } finally {
      await handle.close();
    }
  });
});

describe('NaN and Infinity tokens', () => {
  it.each(['NaN', 'Infinity', '-Infinity'])(
    'a record holding the token %s is refused at its line on both paths',
    async (token) => {
      const dir = chainArchive([base(0), base(1)], (i, t) =>
        i === 1 ? t.replace('"confidence":0.5', `"confidence":${token}`) : t,
      );
      const err = await readError(dir);
      expect(err.message).toMatch(/^decisions\/x\.jsonl:2: unexpected "[NI-]", expected a value \(column \d+\)$/);
      for (const report of await verifyBoth(dir)) {
        const bad = report.findings.filter((f) => f.check === 'record-format');
        expect(bad).toHaveLength(1);
        expect(bad[0]).toMatchObject({ status: 'fail', file: 'decisions/x.jsonl', line: 2 });
      }
    },
  );
});

describe('invalid UTF-8 in files read whole', () => {
  it('archive.json and checkpoints that are not UTF-8 are refused naming the file and line, not read with replacement characters', async () => {
    const dir = chainArchive([base(0)]);
    writeFileSync(
      join(dir, 'archive.json'),
      Buffer.concat([
        Buffer.from('{\n  "format": "ai-audit-archive",\n  "system": {"name": "'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n}\n'),
      ]),
    );
    const err = await openArchive(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as AuditWsError).message).toBe('archive.json:3: not valid UTF-8');

    const dir2 = chainArchive([base(0)]);
    mkdirSync(join(dir2, 'checkpoints/decisions'), { recursive: true });
    const cp = readFileSync(join(EXAMPLE, 'checkpoints/decisions/2026-03-01.json'), 'utf8');
    writeFileSync(
      join(dir2, 'checkpoints/decisions/2026-03-01.json'),
      Buffer.concat([
        Buffer.from(cp.replace('"label": "2026-03-01"', '"label": "2026-03-01X"').split('X')[0]),
        Buffer.from([0xff]),
        Buffer.from(cp.split('"label": "2026-03-01"')[1]),
      ]),
    );
    const archive = await openArchive(dir2);
    try {
      const cpErr = await readCheckpoint(archive, archive.checkpoints[0]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cpErr).toBeInstanceOf(AuditWsError);
      expect((cpErr as AuditWsError).message).toMatch(
        /^checkpoints\/decisions\/2026-03-01\.json:\d+: not valid UTF-8$/,
      );
    } finally {
      await archive.close();
    }
  });
});

describe('a 100 MB line through verification', () => {
  it('is reported at its line on both paths without stopping the chain check of the others', async () => {
    const dir = chainArchive([base(0), base(1), base(2)]);
    const file = join(dir, 'decisions/x.jsonl');
    const [l1, , l3] = readFileSync(file, 'utf8').split('\n');
    const huge = Buffer.alloc(100 * 1024 * 1024, 0x78);
    writeFileSync(file, Buffer.concat([Buffer.from(`${l1}\n{"note":"`), huge, Buffer.from(`"}\n${l3}\n`)]));
    for (const report of await verifyBoth(dir)) {
      const bad = report.findings.filter((f) => f.check === 'record-format');
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ status: 'fail', file: 'decisions/x.jsonl', line: 2 });
      expect(bad[0].message).toMatch(/line longer than the limit of 67108864 bytes \(104857\d+ bytes\)/);
      expect(report.checks.find((c) => c.id === 'record-hash')?.pass).toBe(2);
    }
  });
});

describe('a time-stamp token with a damaged certificate (found by fuzzing)', () => {
  it('gives a result with a reason, not an exception', async () => {
    const checkpoint = readFileSync(join(EXAMPLE, 'checkpoints/decisions/2026-03-01.json'));
    const tsr = readFileSync(join(EXAMPLE, 'checkpoints/decisions/2026-03-01.json.tsr'));
    // The TSA certificate travels in the token: damage the algorithm inside its public key so that the
    // certificate still parses but its key cannot be read.
    const tsaDer = new X509Certificate(readFileSync(join(EXAMPLE, 'keys/tsa.pem'))).raw;
    const certAt = tsr.indexOf(tsaDer);
    expect(certAt).toBeGreaterThan(0);
    const spki = new X509Certificate(tsaDer).publicKey.export({ type: 'spki', format: 'der' });
    const spkiAt = tsr.indexOf(spki, certAt);
    expect(spkiAt).toBeGreaterThan(certAt);
    const damaged = Buffer.from(tsr);
    damaged[spkiAt + 10] ^= 0x01; // inside the OID of the key's algorithm
    const cert = new X509Certificate(damaged.subarray(certAt, certAt + tsaDer.length));
    expect(() => cert.publicKey).toThrow(); // the certificate parses, its key does not
    const r = await verifyTimestamp({
      checkpointBytes: checkpoint,
      tokenBytes: damaged,
      tokenFile: 'day.json.tsr',
      anchors: loadKeyFile(join(EXAMPLE, 'keys/tsa-root.pem')).keys,
    });
    expect(['fail', 'unverifiable']).toContain(r.status);
    expect(r.reason.length).toBeGreaterThan(0);
  });
});
