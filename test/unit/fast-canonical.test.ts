import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalText } from '../../src/archive/canonical.ts';
import { fastCanonicalText } from '../../src/archive/fast-canonical.ts';

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
}));

describe('fastCanonicalText against the canonicalize library', () => {
  it('agrees on random records', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), jsonValue.value, { maxKeys: 8 }), (rec) => {
        const r = JSON.parse(JSON.stringify(rec)) as Record<string, unknown>;
        expect(fastCanonicalText(r)).toBe(canonicalText(r));
      }),
      { numRuns: 2000 },
    );
  });
  it('agrees on the awkward cases of RFC 8785', () => {
    const r = {
      '€': 1,
      a: [null, { b: null, c: 1e21 }],
      '\u0080': 1e-7,
      hash: 'x',
      z: -0,
      n: null,
      s: '\u2028\ud83d\ude00',
    };
    expect(fastCanonicalText(r)).toBe(canonicalText(r));
  });
  it('rejects what JSON cannot hold', () => {
    expect(() => fastCanonicalText({ a: Number.NaN })).toThrow();
  });
});
