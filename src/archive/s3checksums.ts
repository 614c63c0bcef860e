import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { FastCrc32, FastCrc32c, crcBytes } from './crc.ts';

/**
 * S3 object checksums as GetObjectAttributes reports them: base64 of the big-endian digest for the
 * whole object (FULL_OBJECT), or base64(H(d_1 || ... || d_N)) + "-N" over the raw per-part digests
 * (COMPOSITE), and the MD5 ETag, plain or multipart.
 */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

interface Digester {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

class NodeHashDigester implements Digester {
  private readonly h: Hash;
  constructor(alg: 'sha1' | 'sha256' | 'md5') {
    this.h = createHash(alg);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

class AwsDigester implements Digester {
  constructor(private readonly impl: { update(d: Uint8Array): void; digest(): Promise<Uint8Array> }) {}
  update(data: Uint8Array): void {
    this.impl.update(data);
  }
  digest(): Promise<Uint8Array> {
    return this.impl.digest();
  }
}

/** CRC-32 and CRC-32C through crc.ts (the @aws-crypto classes walk bytes with an iterator: about 50 MB/s). */
class CrcDigester implements Digester {
  constructor(private readonly impl: FastCrc32 | FastCrc32c) {}
  update(data: Uint8Array): void {
    this.impl.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return crcBytes(this.impl.value);
  }
}

export function createDigester(alg: ChecksumAlgorithm | 'MD5'): Digester {
  switch (alg) {
    case 'CRC32':
      return new CrcDigester(new FastCrc32());
    case 'CRC32C':
      return new CrcDigester(new FastCrc32c());
    case 'CRC64NVME':
      return new AwsDigester(new Crc64Nvme());
    case 'SHA1':
      return new NodeHashDigester('sha1');
    case 'SHA256':
      return new NodeHashDigester('sha256');
    case 'MD5':
      return new NodeHashDigester('md5');
  }
}

export async function digestOf(alg: ChecksumAlgorithm | 'MD5', data: Uint8Array): Promise<Uint8Array> {
  const d = createDigester(alg);
  d.update(data);
  return d.digest();
}

export interface ObjectChecksums {
  size: number;
  /** base64 full-object digest per algorithm */
  fullObject: Record<ChecksumAlgorithm, string>;
  /** base64 composite value with "-N" suffix, per algorithm (CRC64NVME has no composite form); only when parts were given */
  composite?: Partial<Record<ChecksumAlgorithm, string>>;
  /** hex MD5 of the whole object */
  md5: string;
  /** hex MD5 of the part MD5s + "-N", only when parts were given */
  multipartETag?: string;
  /** per-part base64 digests, in part order */
  parts?: { size: number; checksums: Partial<Record<ChecksumAlgorithm, string>>; md5: string }[];
}

const COMPOSITE_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'];

/**
 * Feeds bytes once through every algorithm, full-object and per part, so a large file is read only
 * once. `partSizes` (all parts but possibly the last) come from the manifest's ObjectParts.
 */
export class ChecksumAccumulator {
  private size = 0;
  private readonly full = new Map<ChecksumAlgorithm | 'MD5', Digester>();
  private readonly partSizes: number[] | undefined;
  private partIndex = 0;
  private partFill = 0;
  private partDigesters: Map<ChecksumAlgorithm | 'MD5', Digester> | undefined;
  private readonly finishedParts: { size: number; digests: Map<ChecksumAlgorithm | 'MD5', Uint8Array> }[] = [];
  private readonly pending: Promise<void>[] = [];

  private readonly wanted: ReadonlySet<ChecksumAlgorithm | 'MD5'>;

  /**
   * `algorithms` limits the work to what will be compared (the pure-JS CRCs cost far more than SHA-256);
   * by default every algorithm is computed.
   */
  constructor(partSizes?: number[], algorithms?: Iterable<ChecksumAlgorithm | 'MD5'>) {
    this.wanted = new Set(algorithms ?? [...CHECKSUM_ALGORITHMS, 'MD5']);
    for (const alg of this.wanted) this.full.set(alg, createDigester(alg));
    this.partSizes = partSizes && partSizes.length > 0 ? partSizes : undefined;
    if (this.partSizes) this.partDigesters = this.newPartDigesters();
  }

  private newPartDigesters(): Map<ChecksumAlgorithm | 'MD5', Digester> {
    const m = new Map<ChecksumAlgorithm | 'MD5', Digester>();
    for (const alg of [...COMPOSITE_ALGORITHMS, 'MD5'] as const)
      if (this.wanted.has(alg)) m.set(alg, createDigester(alg));
    return m;
  }

  private closePart(): void {
    const digesters = this.partDigesters!;
    const size = this.partFill;
    const slot: { size: number; digests: Map<ChecksumAlgorithm | 'MD5', Uint8Array> } = { size, digests: new Map() };
    this.finishedParts.push(slot);
    for (const [alg, d] of digesters) this.pending.push(d.digest().then((v) => void slot.digests.set(alg, v)));
    this.partIndex++;
    this.partFill = 0;
    this.partDigesters = this.newPartDigesters();
  }

  update(chunk: Uint8Array): void {
    this.size += chunk.length;
    for (const d of this.full.values()) d.update(chunk);
    if (!this.partSizes) return;
    let offset = 0;
    while (offset < chunk.length) {
      const limit = this.partSizes[this.partIndex];
      const room = limit === undefined ? chunk.length - offset : limit - this.partFill;
      const take = Math.min(room, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      for (const d of this.partDigesters!.values()) d.update(piece);
      this.partFill += take;
      offset += take;
      if (limit !== undefined && this.partFill === limit) this.closePart();
    }
  }

  async result(): Promise<ObjectChecksums> {
    if (this.partSizes && this.partFill > 0) this.closePart();
    await Promise.all(this.pending);
    const fullObject = {} as Record<ChecksumAlgorithm, string>;
    for (const alg of CHECKSUM_ALGORITHMS) {
      const d = this.full.get(alg);
      if (d) fullObject[alg] = Buffer.from(await d.digest()).toString('base64');
    }
    const md5d = this.full.get('MD5');
    const md5 = md5d ? Buffer.from(await md5d.digest()).toString('hex') : '';
    const out: ObjectChecksums = { size: this.size, fullObject, md5 };
    if (this.partSizes) {
      const n = this.finishedParts.length;
      out.composite = {};
      for (const alg of COMPOSITE_ALGORITHMS) {
        if (!this.wanted.has(alg)) continue;
        const concat = Buffer.concat(this.finishedParts.map((p) => p.digests.get(alg)!));
        out.composite[alg] = `${Buffer.from(await digestOf(alg, concat)).toString('base64')}-${n}`;
      }
      if (this.wanted.has('MD5')) {
        const md5s = Buffer.concat(this.finishedParts.map((p) => p.digests.get('MD5')!));
        out.multipartETag = `${createHash('md5').update(md5s).digest('hex')}-${n}`;
      }
      out.parts = this.finishedParts.map((p) => ({
        size: p.size,
        md5: p.digests.has('MD5') ? Buffer.from(p.digests.get('MD5')!).toString('hex') : '',
        checksums: Object.fromEntries(
          COMPOSITE_ALGORITHMS.filter((alg) => p.digests.has(alg)).map((alg) => [
            alg,
            Buffer.from(p.digests.get(alg)!).toString('base64'),
          ]),
        ),
      }));
    }
    return out;
  }
}

export async function checksumsOfBuffer(data: Uint8Array, partSizes?: number[]): Promise<ObjectChecksums> {
  const acc = new ChecksumAccumulator(partSizes);
  acc.update(data);
  return acc.result();
}

export async function checksumsOfFile(
  path: string,
  partSizes?: number[],
  algorithms?: Iterable<ChecksumAlgorithm | 'MD5'>,
): Promise<ObjectChecksums> {
  const acc = new ChecksumAccumulator(partSizes, algorithms);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) acc.update(chunk as Buffer);
  return acc.result();
}

/** Splits a checksum value like "abc==-3" into its digest and part count. */
export function parseChecksumValue(value: string): { digest: string; parts?: number } {
  const m = /^(.*)-(\d+)$/.exec(value);
  return m ? { digest: m[1], parts: Number(m[2]) } : { digest: value };
}

/** S3 ETags are quoted; an MD5-based one is 32 hex digits, optionally with "-N" for multipart. */
export function parseETag(etag: string): { md5?: string; parts?: number; checkable: boolean } {
  const bare = etag.replace(/^"|"$/g, '').toLowerCase();
  const m = /^([0-9a-f]{32})(?:-(\d+))?$/.exec(bare);
  if (!m) return { checkable: false };
  return { md5: m[1], parts: m[2] ? Number(m[2]) : undefined, checkable: true };
}
