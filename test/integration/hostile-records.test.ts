// Hostile record contents, each in a generated archive, through the reader and through verification on
// both of its paths (workers: 0 reads inline with readRecords; workers: 1 scans byte ranges in a worker).
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
import { GENESIS_PREV_HASH, recordHash } from '../../src/archive/canonical.ts';
import { readCheckpoint } from '../../src/archive/manifest.ts';
import { openArchive } from '../../src/archive/open.ts';
import { readRecords } from '../../src/archive/records.ts';
import { AuditWsError } from '../../src/errors.ts';
import { loadKeyFile } from '../../src/verify/crypto/keys.ts';
import { verifyTimestamp } from '../../src/verify/crypto/timestamp.ts';
import { verifyArchives } from '../../src/verify/engine.ts';
import type { VerifyReport } from '../../src/verify/engine.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-hostile-records-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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
