import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_PREV_HASH, recordHash } from '../../src/archive/canonical.ts';
import { merkleRoot } from '../../src/archive/merkle.ts';
import { checksumsOfFile, type ChecksumAlgorithm } from '../../src/archive/s3checksums.ts';
import { ArchiveWriter, type ArchiveWriterOptions, type ManifestEntryOut } from '../../src/archive/writer.ts';
import { AuditWsError } from '../../src/errors.ts';

const verifier = fileURLToPath(new URL('../independent/verify_archive.py', import.meta.url));

let tmp: string;
let n = 0;
const fresh = (): string => path.join(tmp, `archive-${++n}`);
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-writer-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function lines(file: string): Record<string, unknown>[] {
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function manifest(dir: string): ManifestEntryOut[] {
  return readFileSync(path.join(dir, 'manifest/objects.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestEntryOut);
}

const decision = (i: number, day: string) => ({
  decisionId: `d-${i}`,
  timestamp: `${day}T${String(i % 24).padStart(2, '0')}:00:00.000Z`,
  modelId: 'm',
  modelVersion: '1',
  prediction: i % 3 === 0 ? 'decline' : 'approve',
  confidence: 0.5 + (i % 50) / 100,
  explanationRef: null,
  inputFeatures: { group: 'ABCD'[i % 4], amount: i * 1.5, note: null },
  padding: 'x'.repeat(200),
});

describe('ArchiveWriter: a complete archive', () => {
  const dir = path.join(os.tmpdir(), `audit-ws-writer-full-${process.pid}`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const stamped: Buffer[] = [];
  let summary: Awaited<ReturnType<ArchiveWriter['close']>>;

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const w = await ArchiveWriter.create({
      dir,
      streams: [
        { name: 'decisions', kind: 'decision' },
        { name: 'outcomes', kind: 'outcome', gzip: true },
      ],
      keyPrefix: 'exports/test/',
      producer: { name: 'unit test' },
      system: { name: 'sys', operator: 'op' },
      signingKey: privateKey,
      timestamper: async (bytes) => {
        stamped.push(Buffer.from(bytes));
        return Buffer.concat([Buffer.from('fake-tsr:'), createHash('sha256').update(bytes).digest()]);
      },
      clock: () => new Date('2026-05-01T12:00:00Z'),
      manifest: { partSizeBytes: 4096 },
    });
    for (let i = 0; i < 60; i++) await w.append('decisions', decision(i, i < 40 ? '2026-03-01' : '2026-03-02'));
    for (let i = 0; i < 30; i++) {
      await w.append('outcomes', {
        decisionId: `d-${i}`,
        observedAt: 1772409600 + i * 3600,
        outcome: 'good',
        source: 'test',
      });
    }
    await w.writeExplanation('exp-1', { method: 'shap', attributions: [{ feature: 'amount', contribution: 0.2 }] });
    summary = await w.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chains every record: seq from 0, prevHash links, hash by jcs-sha256-v1', () => {
    const all = [
      ...lines(path.join(dir, 'decisions/2026-03-01.jsonl')),
      ...lines(path.join(dir, 'decisions/2026-03-02.jsonl')),
    ];
    expect(all).toHaveLength(60);
    all.forEach((r, i) => {
      expect(r.seq).toBe(i);
      expect(r.prevHash).toBe(i === 0 ? GENESIS_PREV_HASH : all[i - 1].hash);
      expect(r.hash).toBe(recordHash(r));
    });
    // the record as given keeps its members and their order, null members included; chain members follow
    expect(Object.keys(all[0])).toEqual([...Object.keys(decision(0, '2026-03-01')), 'seq', 'prevHash', 'hash']);
    expect(all[0].explanationRef).toBeNull();
  });

  it('labels day files by the UTC day of timestamp / observedAt (epoch seconds too) and gzips on request', () => {
    expect(readdirSync(path.join(dir, 'decisions')).sort()).toEqual(['2026-03-01.jsonl', '2026-03-02.jsonl']);
    expect(readdirSync(path.join(dir, 'outcomes')).sort()).toEqual(['2026-03-02.jsonl.gz', '2026-03-03.jsonl.gz']);
    const out = lines(path.join(dir, 'outcomes/2026-03-02.jsonl.gz'));
    expect(out).toHaveLength(24);
    expect(out[0].hash).toBe(recordHash(out[0]));
  });

  it("writes checkpoints per label, pretty-printed, with count, head, RFC 6962 root and the previous file's SHA-256", () => {
    const cp1Bytes = readFileSync(path.join(dir, 'checkpoints/decisions/2026-03-01.json'));
    const cp2Bytes = readFileSync(path.join(dir, 'checkpoints/decisions/2026-03-02.json'));
    const cp1 = JSON.parse(cp1Bytes.toString());
    const cp2 = JSON.parse(cp2Bytes.toString());
    expect(cp1Bytes.toString()).toBe(`${JSON.stringify(cp1, null, 2)}\n`);
    expect(Object.keys(cp1)).toEqual([
      'stream',
      'label',
      'firstSeq',
      'lastSeq',
      'count',
      'headHash',
      'merkleRoot',
      'prevCheckpointSha256',
      'createdAt',
    ]);
    const day1 = lines(path.join(dir, 'decisions/2026-03-01.jsonl'));
    const day2 = lines(path.join(dir, 'decisions/2026-03-02.jsonl'));
    expect(cp1).toMatchObject({
      stream: 'decisions',
      label: '2026-03-01',
      firstSeq: 0,
      lastSeq: 39,
      count: 40,
      prevCheckpointSha256: null,
    });
    expect(cp1.headHash).toBe(day1[39].hash);
    expect(cp1.merkleRoot).toBe(merkleRoot(day1.map((r) => r.hash as string)).toString('hex'));
    expect(cp2).toMatchObject({ firstSeq: 40, lastSeq: 59, count: 20, createdAt: '2026-05-01T12:00:00Z' });
    expect(cp2.merkleRoot).toBe(merkleRoot(day2.map((r) => r.hash as string)).toString('hex'));
    expect(cp2.prevCheckpointSha256).toBe(createHash('sha256').update(cp1Bytes).digest('hex'));
  });

  it("signs each checkpoint's bytes with Ed25519 and publishes the SPKI public key", () => {
    const pem = readFileSync(path.join(dir, 'keys/checkpoint-signing.pub.pem'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(createPublicKey(pem).export({ format: 'der', type: 'spki' })).toEqual(
      publicKey.export({ format: 'der', type: 'spki' }),
    );
    for (const cp of summary.checkpoints) {
      const bytes = readFileSync(path.join(dir, cp.path));
      const sig = Buffer.from(readFileSync(path.join(dir, cp.sigPath!), 'utf8').trim(), 'base64');
      expect(verifySignature(null, bytes, createPublicKey(pem), sig)).toBe(true);
      expect(verifySignature(null, Buffer.concat([bytes, Buffer.from(' ')]), createPublicKey(pem), sig)).toBe(false);
    }
  });

  it('hands the exact checkpoint bytes to the timestamper and stores its answer as .tsr', () => {
    expect(stamped).toHaveLength(summary.checkpoints.length);
    for (const cp of summary.checkpoints) {
      const bytes = readFileSync(path.join(dir, cp.path));
      expect(stamped.some((b) => b.equals(bytes))).toBe(true);
      const tsr = readFileSync(path.join(dir, cp.tsrPath!));
      expect(tsr.subarray(9)).toEqual(createHash('sha256').update(bytes).digest());
    }
  });

  it('lists data files, checkpoints, .sig, .tsr and explanations in the manifest, and nothing else', () => {
    const keys = manifest(dir).map((e) => e.Key.replace('exports/test/', ''));
    const expected = [
      ...summary.streams.flatMap((s) => s.files),
      ...summary.checkpoints.flatMap((c) => [c.path, c.sigPath!, c.tsrPath!]),
      'explanations/exp-1.json',
    ];
    expect(keys.sort()).toEqual(expected.sort());
    expect(manifest(dir).every((e) => e.Key.startsWith('exports/test/'))).toBe(true);
  });

  it('reports size, ETag and checksums as S3 would, checked against ChecksumAccumulator', async () => {
    const seen = new Set<string>();
    let multipart = 0;
    for (const e of manifest(dir)) {
      const file = path.join(dir, e.Key.replace('exports/test/', ''));
      const member = Object.keys(e.Checksum).find((k) => k.startsWith('Checksum') && k !== 'ChecksumType')!;
      const alg = member.replace('Checksum', '') as ChecksumAlgorithm;
      seen.add(alg);
      const sizes = e.ObjectParts?.Parts.map((p) => p.Size as number);
      const ref = await checksumsOfFile(file, sizes);
      expect(e.ObjectSize).toBe(ref.size);
      expect(e.VersionId).toMatch(/^[0-9a-f]{32}$/);
      expect(e.LastModified).toBe('2026-05-01T12:00:00+00:00');
      if (sizes) {
        multipart++;
        expect(ref.size).toBeGreaterThan(4096);
        expect(e.ObjectParts!.TotalPartsCount).toBe(sizes.length);
        expect(e.ETag).toBe(`"${ref.multipartETag}"`);
        if (alg === 'CRC64NVME') {
          expect(e.Checksum).toEqual({ [member]: ref.fullObject[alg], ChecksumType: 'FULL_OBJECT' });
        } else {
          expect(e.Checksum).toEqual({ [member]: ref.composite![alg], ChecksumType: 'COMPOSITE' });
          e.ObjectParts!.Parts.forEach((p, i) => expect(p[member]).toBe(ref.parts![i].checksums[alg]));
        }
      } else {
        expect(ref.size).toBeLessThanOrEqual(4096);
        expect(e.ETag).toBe(`"${ref.md5}"`);
        expect(e.Checksum).toEqual({ [member]: ref.fullObject[alg], ChecksumType: 'FULL_OBJECT' });
      }
    }
    expect(multipart).toBeGreaterThan(0);
    expect([...seen].sort()).toEqual(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']);
  });

  it('locks checkpoints and their .sig/.tsr in COMPLIANCE mode for 7 years, not the data files', () => {
    for (const e of manifest(dir)) {
      if (e.Key.includes('/checkpoints/')) {
        expect(e).toMatchObject({
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: '2033-05-01T12:00:00+00:00',
          ObjectLockLegalHoldStatus: 'OFF',
        });
      } else {
        expect(e.ObjectLockMode).toBeUndefined();
      }
    }
  });

  it('describes the archive in archive.json, outside the manifest', () => {
    const d = JSON.parse(readFileSync(path.join(dir, 'archive.json'), 'utf8'));
    expect(d).toMatchObject({
      format: 'ai-audit-archive',
      formatVersion: '1.0',
      keyPrefix: 'exports/test/',
      exportedAt: '2026-05-01T12:00:00Z',
      system: { name: 'sys', operator: 'op' },
    });
    expect(d.streams).toEqual([
      { name: 'decisions', kind: 'decision', files: ['decisions/2026-03-01.jsonl', 'decisions/2026-03-02.jsonl'] },
      { name: 'outcomes', kind: 'outcome', files: ['outcomes/2026-03-02.jsonl.gz', 'outcomes/2026-03-03.jsonl.gz'] },
    ]);
    expect(summary.streams.map((s) => s.records)).toEqual([60, 30]);
  });

  it('leaves no temporary files behind and passes the independent verifier', () => {
    const all: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        (e.isDirectory() ? walk : (p: string) => all.push(p))(path.join(d, e.name));
    };
    walk(dir);
    expect(all.filter((f) => /\.partial$|\.tmp-\d+$/.test(f))).toEqual([]);
    const r = spawnSync('python3', [verifier, dir], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('ArchiveWriter options', () => {
  it('GOVERNANCE mode, explicit labels, a stream member, no manifest or no lock', async () => {
    const dir = fresh();
    const w = await ArchiveWriter.create({
      dir,
      streams: [{ name: 'reviews', kind: 'review', streamMember: true }],
      objectLock: { mode: 'GOVERNANCE', retainYears: 1 },
      clock: () => new Date('2026-01-01T00:00:00Z'),
    });
    const r = await w.append('reviews', { eventId: 'e1', eventType: 'created' }, { label: 'batch-001' });
    expect(r).toMatchObject({ seq: 0, label: 'batch-001', file: 'reviews/batch-001.jsonl', line: 1, offset: 0 });
    const r2 = await w.append('reviews', { eventId: 'e2', eventType: 'assigned' }, { label: 'batch-001' });
    expect(r2.line).toBe(2);
    expect(r2.offset).toBeGreaterThan(0);
    await w.close();
    const [first] = lines(path.join(dir, 'reviews/batch-001.jsonl'));
    expect(first.stream).toBe('reviews');
    expect(first.hash).toBe(recordHash(first));
    const cp = manifest(dir).find((e) => e.Key === 'checkpoints/reviews/batch-001.json')!;
    expect(cp).toMatchObject({ ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: '2027-01-01T00:00:00+00:00' });
    expect(existsSync(path.join(dir, 'keys'))).toBe(false);

    const bare = fresh();
    const w2 = await ArchiveWriter.create({
      dir: bare,
      streams: [{ name: 'outcomes', kind: 'outcome' }],
      manifest: false,
    });
    await w2.append('outcomes', { decisionId: 'd', observedAt: '2026-03-01T23:30:00-02:00', outcome: 'x' });
    await w2.close();
    expect(existsSync(path.join(bare, 'manifest'))).toBe(false);
    // a time with an offset is labelled by its UTC day
    expect(readdirSync(path.join(bare, 'outcomes'))).toEqual(['2026-03-02.jsonl']);

    const unlocked = fresh();
    const w3 = await ArchiveWriter.create({
      dir: unlocked,
      streams: [{ name: 'outcomes', kind: 'outcome' }],
      objectLock: false,
    });
    await w3.append('outcomes', { decisionId: 'd', observedAt: '2026-03-01T00:00:00Z', outcome: 'x' });
    await w3.close();
    expect(manifest(unlocked).every((e) => e.ObjectLockMode === undefined)).toBe(true);
  });

  it('adoptRecords writes the same bytes as copying and leaves validation to the producer', async () => {
    const write = async (adoptRecords: boolean) => {
      const dir = fresh();
      const w = await ArchiveWriter.create({
        dir,
        streams: [{ name: 'decisions', kind: 'decision' }],
        adoptRecords,
        clock: () => new Date(0),
      });
      for (let i = 0; i < 5; i++) await w.append('decisions', decision(i, '2026-03-01'));
      await w.close();
      return readFileSync(path.join(dir, 'decisions/2026-03-01.jsonl'));
    };
    expect((await write(true)).equals(await write(false))).toBe(true);
  });
});

describe('ArchiveWriter refuses bad input with an AuditWsError naming the record', () => {
  const open = async (extra: Partial<ArchiveWriterOptions> = {}) =>
    ArchiveWriter.create({ dir: fresh(), streams: [{ name: 'decisions', kind: 'decision' }], ...extra });

  it.each([
    [
      'a chain member set by the caller',
      { decisionId: 'd', timestamp: '2026-03-01T00:00:00Z', seq: 4 },
      /must not carry it/,
    ],
    [
      'a hash set by the caller',
      { decisionId: 'd', timestamp: '2026-03-01T00:00:00Z', hash: 'ab' },
      /must not carry it/,
    ],
    ['NaN', { decisionId: 'd', timestamp: '2026-03-01T00:00:00Z', confidence: Number.NaN }, /confidence is NaN/],
    ['a Date object', { decisionId: 'd', timestamp: new Date('2026-03-01T00:00:00Z') }, /timestamp is a Date object/],
    ['a lone surrogate', { decisionId: 'd\ud800', timestamp: '2026-03-01T00:00:00Z' }, /lone UTF-16 surrogate/],
    ['a BigInt', { decisionId: 'd', timestamp: '2026-03-01T00:00:00Z', n: 1n }, /bigint/],
    [
      'a stream member naming another stream',
      { decisionId: 'd', timestamp: '2026-03-01T00:00:00Z', stream: 'x' },
      /"stream" member/,
    ],
  ])('%s', async (_name, record, message) => {
    const w = await open();
    const err = await w.append('decisions', record as Record<string, unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).code).toBe('MALFORMED_RECORD');
    expect((err as AuditWsError).message).toMatch(message);
    expect((err as AuditWsError).message).toMatch(/decisions record 0/);
    await w.abort();
  });

  it('records without a usable time need an explicit label', async () => {
    const w = await open();
    await expect(w.append('decisions', { decisionId: 'd' })).rejects.toThrow(/no usable "timestamp".*options\.label/);
    await expect(w.append('decisions', { decisionId: 'd', timestamp: 'yesterday' })).rejects.toThrow(
      /no usable "timestamp"/,
    );
    await expect(w.append('decisions', { decisionId: 'd' }, { label: '../escape' })).rejects.toThrow(
      /cannot be a file name/,
    );
    await w.abort();
  });

  it('unknown streams, labels going back, overlapping calls, use after close', async () => {
    const w = await open();
    await expect(w.append('nope', {})).rejects.toThrow(/unknown stream "nope"/);
    await w.append('decisions', decision(1, '2026-03-01'));
    await w.append('decisions', decision(2, '2026-03-02'));
    await expect(w.append('decisions', decision(3, '2026-03-01'))).rejects.toThrow(
      /label 2026-03-01 of stream decisions was already closed/,
    );
    const pending = w.append('decisions', decision(4, '2026-03-03'));
    await expect(w.append('decisions', decision(5, '2026-03-03'))).rejects.toThrow(/await each call/);
    await pending;
    await w.close();
    await expect(w.append('decisions', decision(6, '2026-03-03'))).rejects.toThrow(/closed/);
    await expect(w.close()).rejects.toThrow(/already closed/);
  });

  it('a folder that is not empty, bad stream definitions, a non-Ed25519 key', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'something'), 'x');
    await expect(ArchiveWriter.create({ dir, streams: [{ name: 'decisions', kind: 'decision' }] })).rejects.toThrow(
      /is not empty/,
    );
    await expect(
      ArchiveWriter.create({ dir: fresh(), streams: [{ name: 'checkpoints', kind: 'decision' }] }),
    ).rejects.toThrow(/cannot be a folder name/);
    await expect(ArchiveWriter.create({ dir: fresh(), streams: [{ name: 'a/b', kind: 'decision' }] })).rejects.toThrow(
      /cannot be a folder name/,
    );
    await expect(ArchiveWriter.create({ dir: fresh(), streams: [] })).rejects.toThrow(/at least one stream/);
    await expect(
      ArchiveWriter.create({
        dir: fresh(),
        streams: [
          { name: 'x', kind: 'decision' },
          { name: 'x', kind: 'review' },
        ],
      }),
    ).rejects.toThrow(/defined twice/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(
      ArchiveWriter.create({ dir: fresh(), streams: [{ name: 'x', kind: 'decision' }], signingKey: privateKey }),
    ).rejects.toThrow(/Ed25519/);
  });

  it('a failing timestamper leaves no checkpoint for that label (never a half-anchored one)', async () => {
    const dir = fresh();
    const w = await ArchiveWriter.create({
      dir,
      streams: [{ name: 'decisions', kind: 'decision' }],
      timestamper: async () => {
        throw new Error('TSA unreachable');
      },
    });
    await w.append('decisions', decision(1, '2026-03-01'));
    const err = await w.close().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).message).toMatch(
      /time-stamping checkpoints\/decisions\/2026-03-01\.json failed: TSA unreachable/,
    );
    expect(existsSync(path.join(dir, 'checkpoints/decisions/2026-03-01.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'archive.json'))).toBe(false);
  });
});

describe('ArchiveWriter memory stays bounded', () => {
  it('writes 60,000 records without the heap growing with them', async () => {
    const w = await ArchiveWriter.create({
      dir: fresh(),
      streams: [{ name: 'decisions', kind: 'decision' }],
      manifest: { partSizeBytes: 1 << 20 },
    });
    const heapAt = (i: number) => (i === 10_000 || i === 59_999 ? process.memoryUsage().heapUsed : 0);
    let early = 0;
    let late = 0;
    for (let i = 0; i < 60_000; i++) {
      await w.append('decisions', { ...decision(i, i < 30_000 ? '2026-03-01' : '2026-03-02'), bulk: 'y'.repeat(1000) });
      if (i === 10_000) early = heapAt(i);
      if (i === 59_999) late = heapAt(i);
    }
    await w.close();
    // 50,000 more records of ~1.4 kB would be 70 MB and more if anything kept them
    expect(late - early).toBeLessThan(30 * 1024 * 1024);
  });
});
