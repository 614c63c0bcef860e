// crc.ts against the @aws-crypto reference implementations, byte for byte: random data of every length
// around the 8-byte slicing boundary, split into random chunks, and S3's own test values.
import { randomBytes } from 'node:crypto';
import { AwsCrc32 } from '@aws-crypto/crc32';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastCrc32, FastCrc32c, crcBytes } from '../../src/archive/crc.ts';
import { digestOf } from '../../src/archive/s3checksums.ts';

async function reference(kind: 'crc32' | 'crc32c', chunks: Uint8Array[]): Promise<Uint8Array> {
  const r = kind === 'crc32' ? new AwsCrc32() : new AwsCrc32c();
  for (const c of chunks) r.update(c);
  return r.digest();
}

function ours(kind: 'crc32' | 'crc32c', chunks: Uint8Array[]): Uint8Array {
  const c = kind === 'crc32' ? new FastCrc32() : new FastCrc32c();
  for (const chunk of chunks) c.update(chunk);
  return crcBytes(c.value);
}

describe('fast CRC-32 and CRC-32C equal @aws-crypto', () => {
  it('known values: "123456789" is CBF43926 (CRC-32) and E3069283 (CRC-32C); empty input is 0', () => {
    const check = new TextEncoder().encode('123456789');
    expect(new FastCrc32().update(check).value).toBe(0xcbf43926);
    expect(new FastCrc32c().update(check).value).toBe(0xe3069283);
    expect(new FastCrc32().value).toBe(0);
    expect(new FastCrc32c().value).toBe(0);
  });

  for (const kind of ['crc32', 'crc32c'] as const) {
    it(`${kind}: every length from 0 to 70 in one piece, and 1 MiB`, async () => {
      for (let n = 0; n <= 70; n++) {
        const data = randomBytes(n);
        expect(ours(kind, [data])).toEqual(await reference(kind, [data]));
      }
      const big = randomBytes(1 << 20);
      expect(ours(kind, [big])).toEqual(await reference(kind, [big]));
    });

    it(`${kind}: the same bytes in any chunking`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), async (chunks) => {
          const whole = Buffer.concat(chunks);
          const expected = await reference(kind, [whole]);
          expect(ours(kind, chunks)).toEqual(expected);
          expect(ours(kind, [whole])).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('the S3 digester gives the same base64 bytes as the libraries did', async () => {
    const data = randomBytes(100_003);
    expect(await digestOf('CRC32', data)).toEqual(await reference('crc32', [data]));
    expect(await digestOf('CRC32C', data)).toEqual(await reference('crc32c', [data]));
  });
});
