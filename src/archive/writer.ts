/**
 * ArchiveWriter: the producer SDK for audit archive v1 (docs/archive-writer.md). Other teams call it to
 * emit archives the workstation accepts: hash-chained JSONL per stream and day, signed (and optionally
 * time-stamped) checkpoints per label, an S3-style object manifest and the descriptor.
 *
 * Memory stays bounded however many records are written: records stream to disk in batches with
 * backpressure, each open checkpoint keeps only an RFC 6962 MerkleBuilder (O(log n) subtree roots), and
 * object checksums are computed incrementally on the bytes as they reach the disk.
 */
import { createPublicKey, hash as oneShotHash, sign as signBytes, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AuditWsError } from '../errors.ts';
import { GENESIS_PREV_HASH, HASH_RULE, sha256Hex } from './canonical.ts';
import { fastCanonicalText } from './fast-canonical.ts';
import { camelToSnake, epochToIso, TIME_MEMBERS, type RecordKind, RECORD_KINDS } from './kinds.ts';
import { MerkleBuilder } from './merkle.ts';
import { CHECKSUM_ALGORITHMS, createDigester, digestOf, type ChecksumAlgorithm } from './s3checksums.ts';

export interface StreamSpec {
  name: string;
  kind: RecordKind;
  /** write this stream's data files as `.jsonl.gz` (default: the writer's `gzip` option) */
  gzip?: boolean;
  /** add a `stream` member to every record (default false: the descriptor's `files` name the stream) */
  streamMember?: boolean;
}

export type ObjectRole = 'data' | 'checkpoint' | 'checkpoint-signature' | 'checkpoint-timestamp' | 'explanation';

/** What the writer needs a time for; a deterministic producer answers from its own simulated clock. */
export type ClockEvent =
  | { event: 'checkpoint'; stream: string; label: string }
  | { event: 'upload'; path: string; role: ObjectRole; stream?: string; label?: string }
  | { event: 'export' };

export interface ObjectLockOptions {
  /** S3 Object Lock mode for checkpoints and their .sig/.tsr (default COMPLIANCE) */
  mode?: 'COMPLIANCE' | 'GOVERNANCE';
  /** retention counted from the object's LastModified, in calendar years (default 7) */
  retainYears?: number;
  legalHold?: 'ON' | 'OFF';
  /** lock data files and explanations too (default false: only checkpoints are the independent anchor) */
  lockDataFiles?: boolean;
}

export interface ManifestOptions {
  /** objects larger than this are "uploaded" multipart in parts of this size (default 8 MiB, like the AWS CLI) */
  partSizeBytes?: number;
  /** checksum algorithms used in turn, object by object (default all five, so every one appears) */
  algorithms?: readonly ChecksumAlgorithm[];
  /** S3 VersionId per object (default: 32 hex digits derived from the key and the MD5, so output is reproducible) */
  versionId?: (key: string, md5Hex: string) => string;
}

export interface ArchiveWriterOptions {
  /** archive folder; created if absent, must be empty if present */
  dir: string;
  streams: readonly StreamSpec[];
  /** prefix of manifest keys (descriptor `keyPrefix`), e.g. "exports/acme-credit/" */
  keyPrefix?: string;
  producer?: Record<string, unknown>;
  system?: { name?: string; operator?: string };
  /** further descriptor members, kept as given */
  descriptorExtra?: Record<string, unknown>;
  /** default for streams that do not say */
  gzip?: boolean;
  /** zlib level of gzipped data files (default 6; 1 writes about three times faster, a little larger) */
  gzipLevel?: number;
  /** Ed25519 private key: checkpoints get a `.sig` and the public key is written to keys/<name>.pub.pem */
  signingKey?: KeyObject;
  signingKeyName?: string;
  /** returns a DER RFC 3161 TimeStampResp over the checkpoint bytes; its answer is written as `.tsr` */
  timestamper?: (checkpointBytes: Buffer) => Promise<Buffer>;
  clock?: (event: ClockEvent) => Date;
  manifest?: ManifestOptions | false;
  objectLock?: ObjectLockOptions | false;
  /**
   * Check that every record is plain JSON data (default true). A producer whose records are built from
   * literals of strings, finite numbers, booleans, arrays and plain objects may turn it off for speed.
   */
  validateRecords?: boolean;
  /**
   * Let append() add seq and prevHash (and stream) to the very object it is given instead of copying it
   * (default false). Saves a copy per record for producers that build a fresh object per call and do
   * not touch it afterwards.
   */
  adoptRecords?: boolean;
  /**
   * Write one part of an archive whose streams are split between several writers (threads or processes)
   * sharing the folder: this writer writes only its `streams`, its manifest lines go to
   * manifest/objects.<part>.part, and keys/ and archive.json are left to ArchiveWriter.finishParts().
   * The caller makes sure the folder is new or empty before the parts start.
   */
  part?: string;
}

export interface AppendOptions {
  /** file/checkpoint label; default: UTC day of the record's time member (timestamp, observedAt for outcomes) */
  label?: string;
}

export interface AppendResult {
  stream: string;
  seq: number;
  prevHash: string;
  hash: string;
  label: string;
  /** archive-relative data file */
  file: string;
  /** 1-based line of the record in that file (after any line rewriting; undefined if no line was written) */
  line?: number;
  /** byte offset of that line in the uncompressed file */
  offset?: number;
}

/** What a line rewriter (tests of verifiers, the demo's tamper variants) sees of one record. */
export interface LineContext {
  stream: string;
  kind: RecordKind;
  label: string;
  file: string;
  seq: number;
  prevHash: string;
  hash: string;
  /** the record as chained, with seq and prevHash but without hash */
  record: Record<string, unknown>;
  /** the exact JSONL line the writer would write (no newline) */
  line: string;
  /** 1-based line number and uncompressed byte offset the first returned line will get */
  nextLine: number;
  offset: number;
}

export interface CheckpointValue {
  stream: string;
  label: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  headHash: string;
  merkleRoot: string;
  prevCheckpointSha256: string | null;
  createdAt: string;
}

export interface WrittenCheckpoint {
  stream: string;
  label: string;
  path: string;
  sigPath?: string;
  tsrPath?: string;
  sha256: string;
  value: CheckpointValue;
}

export interface ManifestEntryOut {
  Key: string;
  ObjectSize: number;
  VersionId: string;
  LastModified: string;
  ETag: string;
  Checksum: Record<string, string>;
  ObjectParts?: { TotalPartsCount: number; Parts: Record<string, string | number>[] };
  ObjectLockMode?: string;
  ObjectLockRetainUntilDate?: string;
  ObjectLockLegalHoldStatus?: string;
}

export interface ArchiveWriteSummary {
  dir: string;
  streams: { name: string; kind: RecordKind; records: number; files: string[]; checkpoints: number }[];
  checkpoints: WrittenCheckpoint[];
  explanations: number;
  manifestObjects: number;
  /** bytes of every file written, descriptor and manifest included */
  bytes: number;
  /** part writers: the archive-relative file holding this part's manifest lines */
  manifestPart?: string;
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const FLUSH_CHARS = 256 * 1024;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CHAIN_MEMBERS = ['seq', 'prevHash', 'hash'] as const;
// without the u flag a regex sees UTF-16 code units, which is what a lone surrogate is
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DAY_PREFIX = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

const CHECKSUM_MEMBER: Record<ChecksumAlgorithm, string> = {
  CRC32: 'ChecksumCRC32',
  CRC32C: 'ChecksumCRC32C',
  CRC64NVME: 'ChecksumCRC64NVME',
  SHA1: 'ChecksumSHA1',
  SHA256: 'ChecksumSHA256',
};

interface Digester {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

/** zlib's native CRC-32 is the same CRC as S3's ChecksumCRC32 and an order of magnitude faster than JS tables. */
class NativeCrc32 implements Digester {
  private value = 0;
  update(data: Uint8Array): void {
    this.value = zlib.crc32(data, this.value);
  }
  async digest(): Promise<Uint8Array> {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out;
  }
}

function digesterFor(alg: ChecksumAlgorithm | 'MD5'): Digester {
  if (alg === 'CRC32' && typeof zlib.crc32 === 'function') return new NativeCrc32();
  return createDigester(alg);
}

interface PartDigest {
  size: number;
  md5: Uint8Array;
  digest: Uint8Array;
}

/**
 * S3's view of one object, computed on the bytes as they are written: the size, the MD5 ETag (plain, or
 * MD5 of part MD5s + "-N" when the object exceeds one part), and one checksum algorithm, FULL_OBJECT for a
 * single part or for CRC64NVME (which S3 only keeps whole-object), COMPOSITE with per-part values otherwise.
 * Only the one algorithm the object is stored with is computed: all five on every byte would be far too slow.
 */
class ObjectChecksummer {
  private size = 0;
  private fill = 0;
  private partMd5: Digester = digesterFor('MD5');
  private partAlg: Digester;
  private readonly fullAlg: Digester | undefined;
  private readonly parts: Promise<PartDigest>[] = [];

  constructor(
    readonly algorithm: ChecksumAlgorithm,
    private readonly partSize: number,
  ) {
    this.partAlg = digesterFor(algorithm);
    this.fullAlg = algorithm === 'CRC64NVME' ? digesterFor(algorithm) : undefined;
  }

  update(chunk: Uint8Array): void {
    this.size += chunk.length;
    this.fullAlg?.update(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.partSize - this.fill, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      this.partMd5.update(piece);
      this.partAlg.update(piece);
      this.fill += take;
      offset += take;
      if (this.fill === this.partSize) this.closePart();
    }
  }

  private closePart(): void {
    const size = this.fill;
    const md5 = this.partMd5;
    const alg = this.partAlg;
    this.parts.push(Promise.all([md5.digest(), alg.digest()]).then(([m, d]) => ({ size, md5: m, digest: d })));
    this.partMd5 = digesterFor('MD5');
    this.partAlg = digesterFor(this.algorithm);
    this.fill = 0;
  }

  async finish(): Promise<
    Pick<ManifestEntryOut, 'ObjectSize' | 'ETag' | 'Checksum' | 'ObjectParts'> & { md5: string }
  > {
    if (this.fill > 0 || this.parts.length === 0) this.closePart();
    const parts = await Promise.all(this.parts);
    const member = CHECKSUM_MEMBER[this.algorithm];
    const b64 = (d: Uint8Array): string => Buffer.from(d).toString('base64');
    if (parts.length === 1) {
      const md5 = Buffer.from(parts[0].md5).toString('hex');
      return {
        md5,
        ObjectSize: this.size,
        ETag: `"${md5}"`,
        Checksum: { [member]: b64(parts[0].digest), ChecksumType: 'FULL_OBJECT' },
      };
    }
    const n = parts.length;
    const md5 = `${Buffer.from(await digestOf('MD5', Buffer.concat(parts.map((p) => p.md5)))).toString('hex')}-${n}`;
    const checksum = this.fullAlg
      ? { [member]: b64(await this.fullAlg.digest()), ChecksumType: 'FULL_OBJECT' }
      : {
          [member]: `${b64(await digestOf(this.algorithm, Buffer.concat(parts.map((p) => p.digest))))}-${n}`,
          ChecksumType: 'COMPOSITE',
        };
    return {
      md5,
      ObjectSize: this.size,
      ETag: `"${md5}"`,
      Checksum: checksum,
      ObjectParts: {
        TotalPartsCount: n,
        Parts: parts.map((p, i) => ({ PartNumber: i + 1, Size: p.size, [member]: b64(p.digest) })),
      },
    };
  }
}

/** A file being written: bytes go to disk (optionally through gzip) with backpressure, checksummed as stored. */
class FileSink {
  private readonly out: WriteStream;
  private readonly gzip: zlib.Gzip | undefined;
  private readonly done: Promise<void>;
  private failure: unknown;

  constructor(
    absPath: string,
    gzip: boolean,
    private readonly checksummer: ObjectChecksummer | undefined,
    gzipLevel = 6,
  ) {
    this.out = createWriteStream(absPath, { flags: 'wx', highWaterMark: 1 << 20 });
    if (gzip) {
      this.gzip = zlib.createGzip({ level: gzipLevel });
      const tap = new Transform({
        transform: (chunk: Buffer, _enc, cb) => {
          this.checksummer?.update(chunk);
          cb(null, chunk);
        },
      });
      this.done = pipeline(this.gzip, tap, this.out);
    } else {
      this.done = finished(this.out);
    }
    this.done.catch((err: unknown) => {
      this.failure = err;
    });
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.gzip) {
      if (!this.gzip.write(chunk)) await Promise.race([once(this.gzip, 'drain'), this.done]);
      return;
    }
    this.checksummer?.update(chunk);
    if (!this.out.write(chunk)) await Promise.race([once(this.out, 'drain'), this.done]);
  }

  async end(): Promise<void> {
    if (this.gzip) this.gzip.end();
    else this.out.end();
    await this.done;
    if (this.failure) throw this.failure;
  }

  destroy(): void {
    this.gzip?.destroy();
    this.out.destroy();
  }
}

interface Segment {
  label: string;
  relPath: string;
  absPath: string;
  partialPath: string;
  sink: FileSink;
  checksummer?: ObjectChecksummer;
  merkle: MerkleBuilder;
  firstSeq: number;
  lastSeq: number;
  headHash: string;
  lines: number;
  bytes: number;
  pending: string[];
  pendingChars: number;
}

interface StreamState {
  spec: StreamSpec;
  gzip: boolean;
  nextSeq: number;
  prevHash: string;
  prevCheckpointSha256: string | null;
  segment?: Segment;
  usedLabels: Set<string>;
  files: string[];
  checkpoints: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The line is written with JSON.stringify and hashed with the RFC 8785 serialiser; the two agree only on
 * plain JSON data. A Date, Map or class instance would serialise differently in each (toJSON vs own
 * members), and a lone surrogate is not valid I-JSON, so such values are refused here rather than
 * producing a record whose hash no verifier can reproduce.
 */
function assertPlainJson(value: unknown, where: string): void {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError(`${where} holds a lone UTF-16 surrogate`);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${where} is ${value}, which JSON cannot hold`);
      return;
    case 'boolean':
    case 'undefined':
      return;
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertPlainJson(value[i], `${where}[${i}]`);
        return;
      }
      if (!isPlainObject(value))
        throw new TypeError(`${where} is a ${value.constructor?.name ?? 'non-plain'} object, not plain JSON`);
      for (const key of Object.keys(value)) {
        if (LONE_SURROGATE.test(key)) throw new TypeError(`${where} has a member name with a lone UTF-16 surrogate`);
        assertPlainJson(value[key], `${where}.${key}`);
      }
      return;
    default:
      throw new TypeError(`${where} is a ${typeof value}, which JSON cannot hold`);
  }
}

function s3Time(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

function defaultVersionId(key: string, md5: string): string {
  return sha256Hex(`${key}\n${md5}`).slice(0, 32);
}

/** Writes a small file so that a crash leaves either the old state or the whole new file, never half of it. */
async function writeAtomic(absPath: string, data: Buffer | string): Promise<void> {
  const tmp = `${absPath}.tmp-${process.pid}`;
  await writeFile(tmp, data, { flag: 'w' });
  await rename(tmp, absPath);
}

async function assertEmptyFolder(dir: string): Promise<void> {
  const existing = await readdir(dir);
  if (existing.length > 0)
    throw badUsage(`${dir} is not empty; an archive is written into a new or empty folder`, { file: dir });
}

/** keys/<name>.pub.pem, the SPKI public key of the checkpoint signing key; returns the bytes written. */
async function writePublicKey(dir: string, options: ArchiveWriterOptions): Promise<number> {
  if (!options.signingKey) return 0;
  const name = options.signingKeyName ?? 'checkpoint-signing';
  if (!SAFE_NAME.test(name)) throw badUsage(`signing key name "${name}" cannot be a file name`);
  await mkdir(path.join(dir, 'keys'), { recursive: true });
  const pem = createPublicKey(options.signingKey).export({ type: 'spki', format: 'pem' }) as string;
  await writeAtomic(path.join(dir, 'keys', `${name}.pub.pem`), pem);
  return Buffer.byteLength(pem);
}

function buildDescriptor(
  o: ArchiveWriterOptions,
  exportedAt: Date,
  streams: readonly { name: string; kind: RecordKind; files: readonly string[] }[],
): Record<string, unknown> {
  return {
    format: 'ai-audit-archive',
    formatVersion: '1.0',
    producer: o.producer ?? { name: 'audit-ws ArchiveWriter' },
    ...(o.system ? { system: o.system } : {}),
    exportedAt: exportedAt.toISOString().replace(/\.000Z$/, 'Z'),
    keyPrefix: o.keyPrefix ?? '',
    hashAlg: HASH_RULE,
    streams: streams.map((st) => ({ name: st.name, kind: st.kind, files: [...st.files] })),
    ...(o.descriptorExtra ?? {}),
  };
}

function badUsage(message: string, details: Record<string, unknown> = {}): AuditWsError {
  return new AuditWsError('BAD_USAGE', message, details);
}

export class ArchiveWriter {
  private readonly dir: string;
  private readonly streams = new Map<string, StreamState>();
  private readonly keyPrefix: string;
  private readonly clock: (event: ClockEvent) => Date;
  private readonly manifestOptions: Required<ManifestOptions> | undefined;
  private readonly lock: Required<ObjectLockOptions> | undefined;
  private manifestSink: FileSink | undefined;
  private manifestObjects = 0;
  private objectCounter = 0;
  private readonly checkpointsWritten: WrittenCheckpoint[] = [];
  private explanations = 0;
  private bytesWritten = 0;
  private busy = false;
  private closed = false;

  /** Creates the folder (which must be empty), the keys/ file and the manifest; then append records. */
  static async create(options: ArchiveWriterOptions): Promise<ArchiveWriter> {
    const writer = new ArchiveWriter(options);
    await writer.start();
    return writer;
  }

  protected constructor(private readonly options: ArchiveWriterOptions) {
    if (!options.dir) throw badUsage('ArchiveWriter needs a target folder (dir)');
    if (!options.streams || options.streams.length === 0) throw badUsage('ArchiveWriter needs at least one stream');
    this.dir = path.resolve(options.dir);
    this.keyPrefix = options.keyPrefix ?? '';
    this.clock = options.clock ?? (() => new Date());
    for (const spec of options.streams) {
      if (!SAFE_NAME.test(spec.name) || ['checkpoints', 'manifest', 'keys', 'explanations'].includes(spec.name)) {
        throw badUsage(`stream name "${spec.name}" cannot be a folder name of the archive`);
      }
      if (!RECORD_KINDS.includes(spec.kind))
        throw badUsage(`stream "${spec.name}" has unknown kind "${String(spec.kind)}"`);
      if (this.streams.has(spec.name)) throw badUsage(`stream "${spec.name}" is defined twice`);
      this.streams.set(spec.name, {
        spec,
        gzip: spec.gzip ?? options.gzip ?? false,
        nextSeq: 0,
        prevHash: GENESIS_PREV_HASH,
        prevCheckpointSha256: null,
        usedLabels: new Set(),
        files: [],
        checkpoints: 0,
      });
    }
    if (options.manifest !== false) {
      const m = options.manifest ?? {};
      const algorithms = m.algorithms ?? CHECKSUM_ALGORITHMS;
      if (algorithms.length === 0 || algorithms.some((a) => !CHECKSUM_ALGORITHMS.includes(a))) {
        throw badUsage(`manifest algorithms must be among ${CHECKSUM_ALGORITHMS.join(', ')}`);
      }
      const partSizeBytes = m.partSizeBytes ?? DEFAULT_PART_SIZE;
      if (!Number.isInteger(partSizeBytes) || partSizeBytes < 1)
        throw badUsage('manifest partSizeBytes must be a positive integer');
      this.manifestOptions = { partSizeBytes, algorithms, versionId: m.versionId ?? defaultVersionId };
    }
    if (options.objectLock !== false) {
      const l = options.objectLock ?? {};
      this.lock = {
        mode: l.mode ?? 'COMPLIANCE',
        retainYears: l.retainYears ?? 7,
        legalHold: l.legalHold ?? 'OFF',
        lockDataFiles: l.lockDataFiles ?? false,
      };
    }
    if (options.signingKey && options.signingKey.asymmetricKeyType !== 'ed25519') {
      throw new AuditWsError('UNSUPPORTED', 'checkpoint signing key must be an Ed25519 private key');
    }
    if (options.signingKey && options.signingKey.type !== 'private')
      throw badUsage('checkpoint signing key must be a private key');
  }

  protected async start(): Promise<void> {
    const part = this.options.part;
    if (part !== undefined && !SAFE_NAME.test(part)) throw badUsage(`part name "${part}" cannot be a file name`);
    await mkdir(this.dir, { recursive: true });
    if (part === undefined) await assertEmptyFolder(this.dir);
    for (const st of this.streams.values()) await mkdir(path.join(this.dir, st.spec.name), { recursive: true });
    if (part === undefined) this.bytesWritten += await writePublicKey(this.dir, this.options);
    if (this.manifestOptions) {
      await mkdir(path.join(this.dir, 'manifest'), { recursive: true });
      this.manifestSink = new FileSink(path.join(this.dir, this.manifestSinkPath()), false, undefined);
    }
  }

  private manifestSinkPath(): string {
    return this.options.part === undefined
      ? 'manifest/objects.jsonl.partial'
      : `manifest/objects.${this.options.part}.part`;
  }

  /**
   * Completes an archive written by part writers (option `part`): the parts' manifest lines are joined
   * into manifest/objects.jsonl in the order the parts are given, the public key goes to keys/, and
   * archive.json lists every stream of `options.streams` with the files its part wrote.
   */
  static async finishParts(
    options: ArchiveWriterOptions,
    parts: readonly ArchiveWriteSummary[],
  ): Promise<ArchiveWriteSummary> {
    const dir = path.resolve(options.dir);
    let bytes = parts.reduce((n, p) => n + p.bytes, 0);
    const manifestParts = parts.map((p) => p.manifestPart).filter((m): m is string => m !== undefined);
    if (manifestParts.length > 0) {
      const out = new FileSink(path.join(dir, 'manifest', 'objects.jsonl.partial'), false, undefined);
      for (const rel of manifestParts) {
        for await (const chunk of createReadStream(path.join(dir, rel))) await out.write(chunk as Buffer);
      }
      await out.end();
      await rename(path.join(dir, 'manifest', 'objects.jsonl.partial'), path.join(dir, 'manifest', 'objects.jsonl'));
      for (const rel of manifestParts) await rm(path.join(dir, rel));
    }
    bytes += await writePublicKey(dir, options);
    const byName = new Map(parts.flatMap((p) => p.streams.map((s) => [s.name, s] as const)));
    const streams = options.streams.map(
      (spec) => byName.get(spec.name) ?? { name: spec.name, kind: spec.kind, records: 0, files: [], checkpoints: 0 },
    );
    const clock = options.clock ?? (() => new Date());
    const descriptor = buildDescriptor(options, clock({ event: 'export' }), streams);
    const text = `${JSON.stringify(descriptor, null, 2)}\n`;
    await writeAtomic(path.join(dir, 'archive.json'), text);
    bytes += Buffer.byteLength(text);
    return {
      dir,
      streams,
      checkpoints: parts.flatMap((p) => p.checkpoints),
      explanations: parts.reduce((n, p) => n + p.explanations, 0),
      manifestObjects: parts.reduce((n, p) => n + p.manifestObjects, 0),
      bytes,
    };
  }

  /** Appends one record to a stream's chain: sets seq, prevHash and hash and writes one JSONL line. */
  async append(
    streamName: string,
    record: Record<string, unknown>,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (this.closed) throw badUsage('the archive writer is closed');
    if (this.busy)
      throw badUsage('append() was called before the previous append() or explanation finished; await each call');
    const st = this.streams.get(streamName);
    if (!st) throw badUsage(`unknown stream "${streamName}"; define it in the writer's streams`);
    const where = `${streamName} record ${st.nextSeq}`;
    if (!isPlainObject(record))
      throw new AuditWsError('MALFORMED_RECORD', `${where}: a record must be a JSON object`, { entry: where });
    for (const m of CHAIN_MEMBERS) {
      if (m in record)
        throw new AuditWsError('MALFORMED_RECORD', `${where}: the writer sets "${m}"; the record must not carry it`, {
          entry: where,
        });
    }
    if ('stream' in record && record.stream !== streamName) {
      throw new AuditWsError('MALFORMED_RECORD', `${where}: its "stream" member says "${String(record.stream)}"`, {
        entry: where,
      });
    }
    if (this.options.validateRecords !== false) {
      try {
        assertPlainJson(record, where);
      } catch (err) {
        throw new AuditWsError('MALFORMED_RECORD', (err as Error).message, { entry: where });
      }
    }
    const label = options.label ?? this.labelOf(st, record, where);
    if (!SAFE_NAME.test(label)) throw badUsage(`${where}: label "${label}" cannot be a file name`, { entry: where });
    this.busy = true;
    try {
      if (st.segment?.label !== label) {
        if (st.usedLabels.has(label)) {
          throw badUsage(
            `${where}: label ${label} of stream ${streamName} was already closed; records must arrive in label order`,
            {
              entry: where,
            },
          );
        }
        if (st.segment) await this.closeSegment(st);
        st.segment = this.openSegment(st, label);
      }
      const seg = st.segment!;
      const seq = st.nextSeq;
      const prevHash = st.prevHash;
      let chained: Record<string, unknown>;
      if (this.options.adoptRecords) {
        chained = record;
        if (st.spec.streamMember) chained.stream = streamName;
        chained.seq = seq;
        chained.prevHash = prevHash;
      } else {
        chained = st.spec.streamMember
          ? { ...record, stream: streamName, seq, prevHash }
          : { ...record, seq, prevHash };
      }
      // one-shot crypto.hash: same SHA-256 as canonical.ts's recordHash, without a Hash object per record
      const hash = oneShotHash('sha256', fastCanonicalText(chained), 'hex');
      const json = JSON.stringify(chained);
      const line = `${json.slice(0, -1)},"hash":"${hash}"}`;
      const lines = this.transformLine({
        stream: streamName,
        kind: st.spec.kind,
        label,
        file: seg.relPath,
        seq,
        prevHash,
        hash,
        record: chained,
        line,
        nextLine: seg.lines + 1,
        offset: seg.bytes,
      });
      let firstLine: number | undefined;
      let firstOffset: number | undefined;
      for (const l of lines) {
        seg.lines++;
        if (firstLine === undefined) {
          firstLine = seg.lines;
          firstOffset = seg.bytes;
        }
        seg.pending.push(l, '\n');
        seg.pendingChars += l.length + 1;
        seg.bytes += Buffer.byteLength(l) + 1;
      }
      if (seg.merkle.size === 0) seg.firstSeq = seq;
      seg.merkle.add(Buffer.from(hash, 'hex'));
      seg.lastSeq = seq;
      seg.headHash = hash;
      st.nextSeq = seq + 1;
      st.prevHash = hash;
      if (seg.pendingChars >= FLUSH_CHARS) await this.flush(seg);
      return {
        stream: streamName,
        seq,
        prevHash,
        hash,
        label,
        file: seg.relPath,
        line: firstLine,
        offset: firstOffset,
      };
    } finally {
      this.busy = false;
    }
  }

  /**
   * Writes explanations/<ref>.json (pretty-printed JSON) and lists it in the manifest. Returns its
   * archive-relative path.
   */
  async writeExplanation(ref: string, content: unknown): Promise<string> {
    if (this.closed) throw badUsage('the archive writer is closed');
    if (!SAFE_NAME.test(ref)) throw badUsage(`explanationRef "${ref}" cannot be a file name`);
    if (this.busy) throw badUsage('writeExplanation() was called before the previous call finished; await each call');
    try {
      assertPlainJson(content, `explanation ${ref}`);
    } catch (err) {
      throw new AuditWsError('MALFORMED_RECORD', (err as Error).message, { entry: ref });
    }
    this.busy = true;
    try {
      if (this.explanations === 0) await mkdir(path.join(this.dir, 'explanations'), { recursive: true });
      const rel = `explanations/${ref}.json`;
      const bytes = Buffer.from(`${JSON.stringify(content, null, 2)}\n`);
      await writeFile(path.join(this.dir, rel), bytes, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw badUsage(`explanation ${ref} was written twice`, { file: rel });
        throw err;
      });
      this.bytesWritten += bytes.length;
      this.explanations++;
      await this.listObject(rel, 'explanation', bytes);
      return rel;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Closes every open label (writing its checkpoint), the manifest and archive.json. The archive is
   * complete only after this resolves.
   */
  async close(): Promise<ArchiveWriteSummary> {
    if (this.closed) throw badUsage('the archive writer is already closed');
    if (this.busy) throw badUsage('close() was called while an append() was still running; await each call');
    this.busy = true;
    try {
      for (const st of this.streams.values()) if (st.segment) await this.closeSegment(st);
      const isPart = this.options.part !== undefined;
      if (this.manifestSink) {
        await this.manifestSink.end();
        if (!isPart)
          await rename(path.join(this.dir, this.manifestSinkPath()), path.join(this.dir, 'manifest', 'objects.jsonl'));
      }
      const streams = [...this.streams.values()].map((st) => ({
        name: st.spec.name,
        kind: st.spec.kind,
        records: st.nextSeq,
        files: [...st.files],
        checkpoints: st.checkpoints,
      }));
      if (!isPart) {
        const descriptor = buildDescriptor(this.options, this.clock({ event: 'export' }), streams);
        await this.writeOutsideManifest('archive.json', `${JSON.stringify(descriptor, null, 2)}\n`);
      }
      this.closed = true;
      return {
        dir: this.dir,
        streams,
        checkpoints: [...this.checkpointsWritten],
        explanations: this.explanations,
        manifestObjects: this.manifestObjects,
        bytes: this.bytesWritten,
        ...(isPart && this.manifestSink ? { manifestPart: this.manifestSinkPath() } : {}),
      };
    } finally {
      this.busy = false;
    }
  }

  /** Stops writing after a failure: open files are dropped, leaving `.partial` files and no checkpoint for them. */
  async abort(): Promise<void> {
    this.closed = true;
    for (const st of this.streams.values()) st.segment?.sink.destroy();
    this.manifestSink?.destroy();
  }

  /** Archive folder (absolute). */
  get root(): string {
    return this.dir;
  }

  /** Records appended so far to a stream (its next seq). */
  recordCount(stream: string): number {
    return this.streams.get(stream)?.nextSeq ?? 0;
  }

  /**
   * The lines written for one record. Producers leave this alone; the demo's tamper variants override it
   * to write a changed, missing or extra line while checkpoints still cover the true chain.
   */
  protected transformLine(ctx: LineContext): string[] {
    return [ctx.line];
  }

  /** Whether an object goes into the manifest; overridden only to build the unlisted-file tamper variant. */
  protected includeInManifest(relPath: string): boolean {
    void relPath;
    return true;
  }

  private labelOf(st: StreamState, record: Record<string, unknown>, where: string): string {
    const member = TIME_MEMBERS[st.spec.kind];
    const value = record[member] ?? record[camelToSnake(member)];
    if (typeof value === 'string') {
      const m = DAY_PREFIX.exec(value);
      if (m) return m[1];
      const t = Date.parse(value);
      if (!Number.isNaN(t)) return new Date(t).toISOString().slice(0, 10);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      return epochToIso(value).slice(0, 10);
    }
    throw badUsage(`${where}: no usable "${member}" to derive its day label from; pass options.label`, {
      entry: where,
    });
  }

  private openSegment(st: StreamState, label: string): Segment {
    const relPath = `${st.spec.name}/${label}.${st.gzip ? 'jsonl.gz' : 'jsonl'}`;
    const absPath = path.join(this.dir, relPath);
    const partialPath = `${absPath}.partial`;
    const checksummer = this.manifestOptions ? this.newChecksummer() : undefined;
    st.usedLabels.add(label);
    return {
      label,
      relPath,
      absPath,
      partialPath,
      sink: new FileSink(partialPath, st.gzip, checksummer, this.options.gzipLevel),
      checksummer,
      merkle: new MerkleBuilder(),
      firstSeq: st.nextSeq,
      lastSeq: st.nextSeq - 1,
      headHash: '',
      lines: 0,
      bytes: 0,
      pending: [],
      pendingChars: 0,
    };
  }

  private newChecksummer(): ObjectChecksummer {
    const m = this.manifestOptions!;
    const alg = m.algorithms[this.objectCounter++ % m.algorithms.length];
    return new ObjectChecksummer(alg, m.partSizeBytes);
  }

  private async flush(seg: Segment): Promise<void> {
    if (seg.pending.length === 0) return;
    const chunk = Buffer.from(seg.pending.join(''), 'utf8');
    seg.pending = [];
    seg.pendingChars = 0;
    await seg.sink.write(chunk);
  }

  private async closeSegment(st: StreamState): Promise<void> {
    const seg = st.segment!;
    st.segment = undefined;
    await this.flush(seg);
    await seg.sink.end();
    await rename(seg.partialPath, seg.absPath);
    st.files.push(seg.relPath);
    this.bytesWritten += (await stat(seg.absPath)).size;
    if (seg.checksummer)
      await this.addManifestEntry(seg.relPath, 'data', await seg.checksummer.finish(), st.spec.name, seg.label);
    if (seg.merkle.size > 0) await this.writeCheckpoint(st, seg);
  }

  private async writeCheckpoint(st: StreamState, seg: Segment): Promise<void> {
    const stream = st.spec.name;
    const value: CheckpointValue = {
      stream,
      label: seg.label,
      firstSeq: seg.firstSeq,
      lastSeq: seg.lastSeq,
      count: seg.lastSeq - seg.firstSeq + 1,
      headHash: seg.headHash,
      merkleRoot: seg.merkle.root().toString('hex'),
      prevCheckpointSha256: st.prevCheckpointSha256,
      createdAt: this.clock({ event: 'checkpoint', stream, label: seg.label })
        .toISOString()
        .replace(/\.000Z$/, 'Z'),
    };
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
    const dir = path.join(this.dir, 'checkpoints', stream);
    await mkdir(dir, { recursive: true });
    const rel = `checkpoints/${stream}/${seg.label}.json`;
    // signature and token go down before the checkpoint itself: a crash may leave an orphan .sig, never a
    // checkpoint that claims to be anchored while its proof is half-written
    let sigPath: string | undefined;
    let sigBytes: Buffer | undefined;
    if (this.options.signingKey) {
      sigPath = `${rel}.sig`;
      sigBytes = Buffer.from(`${signBytes(null, bytes, this.options.signingKey).toString('base64')}\n`);
      await writeAtomic(path.join(this.dir, sigPath), sigBytes);
    }
    let tsrPath: string | undefined;
    let tsrBytes: Buffer | undefined;
    if (this.options.timestamper) {
      try {
        tsrBytes = Buffer.from(await this.options.timestamper(bytes));
      } catch (err) {
        throw new AuditWsError(
          'INTERNAL',
          `time-stamping ${rel} failed: ${(err as Error).message}`,
          { file: rel },
          { cause: err },
        );
      }
      tsrPath = `${rel}.tsr`;
      await writeAtomic(path.join(this.dir, tsrPath), tsrBytes);
    }
    await writeAtomic(path.join(this.dir, rel), bytes);
    const sha256 = sha256Hex(bytes);
    st.prevCheckpointSha256 = sha256;
    st.checkpoints++;
    this.bytesWritten += bytes.length + (sigBytes?.length ?? 0) + (tsrBytes?.length ?? 0);
    this.checkpointsWritten.push({ stream, label: seg.label, path: rel, sigPath, tsrPath, sha256, value });
    await this.listObject(rel, 'checkpoint', bytes, stream, seg.label);
    if (sigPath && sigBytes) await this.listObject(sigPath, 'checkpoint-signature', sigBytes, stream, seg.label);
    if (tsrPath && tsrBytes) await this.listObject(tsrPath, 'checkpoint-timestamp', tsrBytes, stream, seg.label);
  }

  private async listObject(
    rel: string,
    role: ObjectRole,
    bytes: Buffer,
    stream?: string,
    label?: string,
  ): Promise<void> {
    if (!this.manifestOptions) return;
    const c = this.newChecksummer();
    c.update(bytes);
    await this.addManifestEntry(rel, role, await c.finish(), stream, label);
  }

  private async addManifestEntry(
    rel: string,
    role: ObjectRole,
    sums: Awaited<ReturnType<ObjectChecksummer['finish']>>,
    stream?: string,
    label?: string,
  ): Promise<void> {
    if (!this.manifestSink || !this.manifestOptions || !this.includeInManifest(rel)) return;
    const key = `${this.keyPrefix}${rel}`;
    const lastModified = this.clock({ event: 'upload', path: rel, role, stream, label });
    const entry: ManifestEntryOut = {
      Key: key,
      ObjectSize: sums.ObjectSize,
      VersionId: this.manifestOptions.versionId(key, sums.md5),
      LastModified: s3Time(lastModified),
      ETag: sums.ETag,
      Checksum: sums.Checksum,
    };
    if (sums.ObjectParts) entry.ObjectParts = sums.ObjectParts;
    const locked = role === 'checkpoint' || role === 'checkpoint-signature' || role === 'checkpoint-timestamp';
    if (this.lock && (locked || this.lock.lockDataFiles)) {
      entry.ObjectLockMode = this.lock.mode;
      entry.ObjectLockRetainUntilDate = s3Time(addYears(lastModified, this.lock.retainYears));
      entry.ObjectLockLegalHoldStatus = this.lock.legalHold;
    }
    this.manifestObjects++;
    await this.manifestSink.write(Buffer.from(`${JSON.stringify(entry)}\n`));
  }

  private async writeOutsideManifest(rel: string, text: string): Promise<void> {
    const bytes = Buffer.from(text);
    await writeAtomic(path.join(this.dir, rel), bytes);
    this.bytesWritten += bytes.length;
  }
}
