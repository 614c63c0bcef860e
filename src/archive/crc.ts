/**
 * CRC-32 (IEEE, as zlib and S3's CRC32) and CRC-32C (Castagnoli, S3's CRC32C) for the manifest check, fast
 * enough for archives of many gigabytes.
 *
 * Why not only @aws-crypto/crc32 and @aws-crypto/crc32c: they walk the bytes with an iterator (one result
 * object per byte), about 50 MB/s here with most of the time in garbage collection; a 13 GB archive's
 * manifest check took most of an hour. CRC-32 uses zlib's native crc32 where Node has it (20.15+, 22.2+);
 * CRC-32C is table-driven slicing-by-8 in JS. Both are checked against the @aws-crypto libraries byte for
 * byte (test/unit/crc.test.ts), which stay the reference and the fallback.
 */
import zlib from 'node:zlib';
import { Crc32 } from '@aws-crypto/crc32';

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const nativeCrc32: NativeCrc32 | undefined = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** Running CRC-32 (IEEE): `update` returns this; `value` is the unsigned 32-bit result so far. */
export class FastCrc32 {
  private crc = 0;
  private readonly fallback = nativeCrc32 ? undefined : new Crc32();
  update(data: Uint8Array): this {
    if (this.fallback) this.fallback.update(data);
    else this.crc = nativeCrc32!(data, this.crc);
    return this;
  }
  get value(): number {
    return this.fallback ? this.fallback.digest() : this.crc >>> 0;
  }
}

/** Eight 256-entry tables for slicing-by-8 of the reflected Castagnoli polynomial 0x82F63B78. */
const CRC32C_TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c >>> 0;
    }
  }
  return tables;
})();

/** Running CRC-32C (Castagnoli): `update` returns this; `value` is the unsigned 32-bit result so far. */
export class FastCrc32c {
  private crc = 0xffffffff;
  update(data: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC32C_TABLES;
    let crc = this.crc;
    let i = 0;
    const n = data.length;
    const end8 = n - (n % 8);
    while (i < end8) {
      const a = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) ^ crc;
      crc =
        t7[a & 0xff] ^
        t6[(a >>> 8) & 0xff] ^
        t5[(a >>> 16) & 0xff] ^
        t4[a >>> 24] ^
        t3[data[i + 4]] ^
        t2[data[i + 5]] ^
        t1[data[i + 6]] ^
        t0[data[i + 7]];
      i += 8;
    }
    while (i < n) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }
  get value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }
}

/** The big-endian bytes of an unsigned 32-bit CRC, as S3 encodes it (before base64). */
export function crcBytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}
