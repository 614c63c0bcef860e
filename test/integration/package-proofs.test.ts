import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inclusionPath, merkleRoot, verifyInclusion } from '../../src/archive/merkle.ts';
import { proveLeaves } from '../../src/package/proofs.ts';

const leaf = (i: number): Buffer => createHash('sha256').update(`leaf ${i}`).digest();

describe('proveLeaves: many RFC 6962 paths in one pass', () => {
  it('gives the same root and paths as the one-path reference for every tree size up to 70', () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const all = Array.from({ length: n }, (_, i) => i);
      const t = proveLeaves(leaves, all);
      expect(t.root.equals(merkleRoot(leaves))).toBe(true);
      for (const i of all) {
        expect(t.paths.get(i)!.map((b) => b.toString('hex'))).toEqual(
          inclusionPath(leaves, i).map((b) => b.toString('hex')),
        );
      }
    }
  });

  it('proves any subset of leaves, each path verifying against the root (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (n, picks) => {
        const leaves = Array.from({ length: n }, (_, i) => leaf(i * 7 + n));
        const idx = picks.map((p) => p % n);
        const t = proveLeaves(leaves, idx);
        expect(t.root.equals(merkleRoot(leaves))).toBe(true);
        for (const i of idx) expect(verifyInclusion(leaves[i], i, n, t.paths.get(i)!, t.root)).toBe(true);
        // a path for one leaf never proves another
        if (n > 1)
          expect(verifyInclusion(leaves[(idx[0] + 1) % n], idx[0], n, t.paths.get(idx[0])!, t.root)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an index outside the tree', () => {
    expect(() => proveLeaves([leaf(0), leaf(1)], [2])).toThrow(RangeError);
  });
});
