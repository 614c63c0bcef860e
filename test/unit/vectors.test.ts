import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalText, recordHash } from '../../src/archive/canonical.ts';
import { inclusionPath, merkleRoot, MerkleBuilder, verifyInclusion } from '../../src/archive/merkle.ts';
import { checksumsOfBuffer, digestOf, parseETag } from '../../src/archive/s3checksums.ts';

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/spec/vectors.json', import.meta.url)), 'utf8'),
);

describe('jcs-sha256-v1 vectors', () => {
  for (const [i, v] of (vectors.chain as { record: Record<string, unknown>; canonical: string }[]).entries()) {
    it(`chain[${i}] canonical text and hash`, () => {
      expect(canonicalText(v.record)).toBe(v.canonical);
      expect(recordHash(v.record)).toBe(v.record.hash);
      if (i > 0) expect(v.record.prevHash).toBe(vectors.chain[i - 1].record.hash);
    });
  }
  it('detects a changed member', () => {
    const r = { ...vectors.chain[0].record, confidence: 0.94 };
    expect(recordHash(r)).not.toBe(vectors.chain[0].record.hash);
  });
});

describe('RFC 6962 Merkle vectors', () => {
  for (const v of vectors.merkle as { leaves: string[]; root: string }[]) {
    it(`root over ${v.leaves.length} leaves`, () => {
      expect(merkleRoot(v.leaves).toString('hex')).toBe(v.root);
      const b = new MerkleBuilder();
      v.leaves.forEach((l) => b.add(l));
      expect(b.root().toString('hex')).toBe(v.root);
    });
  }
  it('inclusion path', () => {
    const inc = vectors.inclusion;
    const path = inclusionPath(inc.leaves, inc.leafIndex).map((b) => b.toString('hex'));
    expect(path).toEqual(inc.path);
    expect(verifyInclusion(inc.leaves[inc.leafIndex], inc.leafIndex, inc.treeSize, inc.path, inc.root)).toBe(true);
    expect(verifyInclusion(inc.leaves[inc.leafIndex - 1], inc.leafIndex, inc.treeSize, inc.path, inc.root)).toBe(false);
    expect(verifyInclusion(inc.leaves[inc.leafIndex], inc.leafIndex - 1, inc.treeSize, inc.path, inc.root)).toBe(false);
  });
  it('every inclusion path of trees up to 33 leaves verifies', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => Buffer.alloc(32, i));
      const root = merkleRoot(leaves);
      for (let m = 0; m < n; m++) expect(verifyInclusion(leaves[m], m, n, inclusionPath(leaves, m), root)).toBe(true);
    }
  });
});

describe('S3 checksum vectors', () => {
  it('hello world, full object', async () => {
    const c = await checksumsOfBuffer(Buffer.from('hello world'));
    expect(c.fullObject).toEqual(vectors.s3.helloWorld);
    expect(c.md5).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
  });
  it('crc64nvme check value of 123456789', async () => {
    const d = await digestOf('CRC64NVME', Buffer.from('123456789'));
    expect('0x' + Buffer.from(d).toString('hex').toUpperCase()).toBe(vectors.s3.crc64nvmeCheck123456789);
  });
  it('two-part upload: composite, full object and ETag', async () => {
    const data = Buffer.concat([Buffer.alloc(256, '0'), Buffer.alloc(256, '1')]);
    const c = await checksumsOfBuffer(data, [256, 256]);
    expect(c.composite).toEqual(vectors.s3.multipart.composite);
    for (const [alg, v] of Object.entries(vectors.s3.multipart.fullObject))
      expect(c.fullObject[alg as 'CRC32']).toBe(v);
    expect(c.multipartETag).toBe(vectors.s3.multipart.eTag);
    expect(parseETag(`"${c.multipartETag}"`)).toEqual({
      md5: c.multipartETag!.slice(0, 32),
      parts: 2,
      checkable: true,
    });
    expect(parseETag('"not-an-md5"').checkable).toBe(false);
  });
});
