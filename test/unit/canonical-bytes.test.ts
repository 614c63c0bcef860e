import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalText } from '../../src/archive/canonical.ts';
import { fastCanonicalText } from '../../src/archive/fast-canonical.ts';
import { parseRecordLine } from '../../src/archive/records.ts';
import { CanonicalScanner, decodeHex64, matchesHex64 } from '../../src/verify/scan/canonical-bytes.ts';

/**
 * The byte scanner must never disagree with the reference path (parseRecordLine, then fastCanonicalText):
 * whenever it accepts a line, the reference accepts it too, with the same canonical bytes and chain
 * members. Lines it declines are the reference path's business, so the only property is "accept => agree",
 * plus coverage checks that it does accept the ordinary records it exists for.
 */

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const scanner = new CanonicalScanner();

type Outcome = { accepted: false } | { accepted: true; canonical: string; seq: number; hash: string; prev: string };

function fast(line: string): Outcome {
  const buf = Buffer.from(line, 'utf8');
  if (!scanner.scan(buf, 0, buf.length)) return { accepted: false };
  return {
    accepted: true,
    canonical: scanner.out.toString('utf8', scanner.outStart, scanner.outEnd),
    seq: scanner.seq,
    hash: buf.toString('utf8', scanner.hashStart, scanner.hashEnd),
    prev: buf.toString('utf8', scanner.prevStart, scanner.prevEnd),
  };
}

/** Asserts "accepted => the reference agrees"; returns whether the fast path accepted. */
function agrees(input: string): boolean {
  const f = fast(input);
  if (!f.accepted) return false;
  // the scanner sees UTF-8 bytes (lone surrogates become U+FFFD), and so does the reference path
  const line = Buffer.from(input, 'utf8').toString('utf8');
  const ref = parseRecordLine(line);
  expect(ref, line).toBeDefined();
  expect(ref!.ok, line).toBe(true);
  if (!ref || !ref.ok) return true;
  // a record the reference cannot hash exactly (an integer beyond 2^53-1) must be left to it
  expect(ref.unverifiable, line).toBeUndefined();
  const v = ref.value;
  expect(f.canonical, line).toBe(fastCanonicalText(v));
  if (!line.includes('__proto__')) expect(f.canonical, line).toBe(canonicalText(v));
  expect(f.seq, line).toBe(v.seq);
  expect(f.hash, line).toBe(v.hash);
  expect(f.prev, line).toBe(v.prevHash);
  return true;
}

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const key = fc.oneof(
  fc.constantFrom('a', 'b', 'A', 'z', '_', 'hash', 'seq', 'prevHash', 'aa', 'a b', '10', '2', '__proto__', '~'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

/** Number texts in every JSON spelling: exponents, trailing zeros, -0, long digit runs, tiny and huge. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc
    .tuple(
      fc.boolean(),
      fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,22}$/)),
      fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,3}$/))),
    )
    .map(
      ([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac !== null ? `.${frac}` : ''}${exp ? exp.join('') : ''}`,
    ),
  fc.constantFrom(
    '0',
    '-0',
    '0.0',
    '1.0',
    '1e21',
    '1e-7',
    '0.000001',
    '0.0000001',
    '123456789012345',
    '1234567890123456',
  ),
);

/** A string literal with each character written plainly or in one of its escaped spellings. */
const stringText = fc
  .tuple(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), fc.array(fc.nat(5)))
  .map(([s, styles]) => {
    let out = '"';
    let k = 0;
    for (const ch of s) {
      const style = styles.length ? styles[k++ % styles.length] : 0;
      const code = ch.codePointAt(0)!;
      const u = (c: number, upper: boolean) => {
        const h = c.toString(16).padStart(4, '0');
        return `\\u${upper ? h.toUpperCase() : h}`;
      };
      if (style === 1 && code <= 0xffff) out += u(code, false);
      else if (style === 2 && code <= 0xffff) out += u(code, true);
      else if (style === 3 && ch === '/') out += '\\/';
      else if (style === 4 && code > 0xffff) out += u(ch.charCodeAt(0), false) + u(ch.charCodeAt(1), false);
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  });

const ws = fc.constantFrom('', '', '', ' ', '\t', '\r', ' \n ');

/** JSON text of a value with random whitespace, member order and spellings. */
const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('null', 'true', 'false'),
    numberText,
    stringText,
    fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }).map((xs) => `[${xs.map((x) => x.join('')).join(',')}]`),
    fc
      .array(fc.tuple(ws, key, ws, tie('value')), { maxLength: 5 })
      .map((ms) => `{${ms.map(([a, k, b, v]) => `${a}${JSON.stringify(k)}${b}:${v}`).join(',')}}`),
  ),
})).value;

/** A chained record line: the chain members plus random members, in random order. */
const recordLine = fc
  .tuple(
    fc.nat({ max: 2 ** 40 }),
    hex64,
    hex64,
    fc.array(fc.tuple(key, valueText), { maxLength: 8 }),
    fc.array(fc.nat(), { minLength: 11, maxLength: 11 }),
    ws,
  )
  .map(([seq, hash, prev, extra, order, pad]) => {
    const members: [string, string][] = [
      ['seq', String(seq)],
      ['prevHash', JSON.stringify(prev)],
      ['hash', JSON.stringify(hash)],
      ...extra.map(([k, v]): [string, string] => [JSON.stringify(k), v]).map(([k, v]): [string, string] => [k, v]),
    ].map(([k, v]) => [k.startsWith('"') ? k : JSON.stringify(k), v]);
    const sorted = members
      .map((m, i) => ({ m, r: order[i % order.length] + i }))
      .sort((x, y) => x.r - y.r)
      .map((x) => x.m);
    return `${pad}{${sorted.map(([k, v]) => `${k}:${pad}${v}`).join(',')}}${pad}`;
  });

/** Single-character edits that break syntax, names or escapes in small ways. */
const mutated = fc
  .tuple(
    recordLine,
    fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom(...'{}[]":,\\ -.0123456789eEabnrtu\n\t/'.split(''))), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([line, edits]) => {
    let s = line;
    for (const [pos, op, ch] of edits) {
      const p = pos % (s.length + 1);
      if (op === 0) s = s.slice(0, p) + ch + s.slice(p);
      else if (op === 1) s = s.slice(0, p) + s.slice(p + 1);
      else s = s.slice(0, p) + ch + s.slice(p + 1);
    }
    return s;
  });

describe('CanonicalScanner against parseRecordLine + fastCanonicalText', () => {
  it('agrees on every record line it accepts, and accepts most well-formed ones', () => {
    let accepted = 0;
    let total = 0;
    fc.assert(
      fc.property(recordLine, (line) => {
        total++;
        if (agrees(line)) accepted++;
      }),
      { numRuns: 3000 },
    );
    // lines with surrogate escapes, non-ASCII or duplicate member names are declined
    expect(accepted / total).toBeGreaterThan(0.1);
  });

  it('accepts every record JSON.stringify writes with plain ASCII member names and well-formed strings', () => {
    const name = fc.string({ maxLength: 6 }).filter((k) => !/["\\]/.test(k));
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.string({ unit: 'grapheme' }),
        fc.string(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(name, tie('value'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(
        fc.dictionary(name, plain.value, { maxKeys: 8 }),
        fc.nat(),
        hex64,
        hex64,
        (rest, seq, hash, prevHash) => {
          const line = JSON.stringify({ ...rest, seq, prevHash, hash });
          const ref = parseRecordLine(line);
          fc.pre(ref !== undefined && ref.ok && ref.unverifiable === undefined); // e.g. 1e20 written as 21 digits
          expect(agrees(line), line).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on lines with small syntax edits (accepting one only if it is still valid)', () => {
    fc.assert(
      fc.property(mutated, (line) => {
        agrees(line);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts and agrees on every chained record of the example archive', () => {
    let n = 0;
    for (const dir of readdirSync(EXAMPLE)) {
      if (!['decisions', 'lifecycle', 'reviews', 'outcomes'].includes(dir)) continue;
      for (const f of readdirSync(join(EXAMPLE, dir)).filter((x) => x.endsWith('.jsonl'))) {
        for (const line of readFileSync(join(EXAMPLE, dir, f), 'utf8').split('\n')) {
          if (!line) continue;
          expect(agrees(line), `${dir}/${f}: ${line.slice(0, 80)}`).toBe(true);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('handles the awkward cases, declining what it must leave to the reference path', () => {
    const h = 'a'.repeat(64);
    const p = '0'.repeat(64);
    const base = `"seq":1,"prevHash":"${p}","hash":"${h}"`;
    const cases: [string, boolean][] = [
      [`{${base},"x":1.50,"y":1e2,"z":-0,"w":0.0000001,"v":1.2345678901234567890e19}`, true],
      [`{${base},"v":12345678901234567890}`, false], // beyond 2^53-1: unverifiable on the reference path
      [`{${base},"v":9007199254740992}`, false],
      [`{${base},"v":-9007199254740992}`, false],
      [`{${base},"v":9007199254740991,"w":-9007199254740991,"x":1000000000000000}`, true],
      [`{${base},"s":"\\u00e9\\/\\u0001\\u001F\\"\\\\\\b\\t"}`, true],
      [`{${base},"n":null,"o":{"b":null,"a":[null,{"d":null,"c":1}]}}`, true],
      [` {\t${base} , "o" : { } , "a" : [ ] }\r`, true],
      [`{${base},"s":"\\ud83d\\ude00"}`, false], // surrogate escapes
      [`{${base},"é":1}`, false], // non-ASCII member name
      [`{${base},"a":1,"a":2}`, false], // duplicate
      [`{${base},"o":{"a":1,"a":1}}`, false], // nested duplicate
      [`{${base},"x":1e400}`, false], // not finite
      [`{${base},"x":01}`, false],
      [`{${base},"x":1.}`, false],
      [`{${base},"x":"a\tb"}`, false], // raw control character
      [`{${base},}`, false],
      [`{${base}} x`, false],
      [`{"seq":-1,"prevHash":"${p}","hash":"${h}"}`, false],
      [`{"seq":1.5,"prevHash":"${p}","hash":"${h}"}`, false],
      [`{"seq":"1","prevHash":"${p}","hash":"${h}"}`, false],
      [`{"seq":1,"prevHash":null,"hash":"${h}"}`, false],
      [`{"seq":1,"hash":"${h}"}`, false],
      [`{"seq":1,"prevHash":"${p}","hash":"\\u0061"}`, false],
      [`[${base}]`, false],
      [`{}`, false],
      [``, false],
      [`${'['.repeat(100)}${']'.repeat(100)}`, false],
      [`{${base},"d":${'['.repeat(70)}${']'.repeat(70)}}`, false], // deeper than the scanner goes
    ];
    for (const [line, ok] of cases) {
      expect(fast(line).accepted, line).toBe(ok);
      agrees(line);
    }
    // the rewritten spellings
    const o = fast(`{${base},"x":1.50,"y":1e2,"z":-0,"w":0.0000001,"v":1.2345678901234567890e19}`);
    expect(o.accepted && o.canonical).toBe(
      `{"prevHash":"${p}","seq":1,"v":12345678901234567000,"w":1e-7,"x":1.5,"y":100,"z":0}`,
    );
  });

  it('agrees, only slower, once its shape caches are full', () => {
    const tiny = new CanonicalScanner(300);
    let accepted = 0;
    fc.assert(
      fc.property(recordLine, (line) => {
        const buf = Buffer.from(line, 'utf8');
        if (!tiny.scan(buf, 0, buf.length)) return;
        accepted++;
        expect(scanner.scan(buf, 0, buf.length), line).toBe(true);
        expect(tiny.out.subarray(tiny.outStart, tiny.outEnd)).toEqual(
          scanner.out.subarray(scanner.outStart, scanner.outEnd),
        );
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('decodes only lowercase 64-digit hex', () => {
    const out = new Uint8Array(32);
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(decodeHex64(b('ab'.repeat(32)), 0, 64, out, 0)).toBe(true);
    expect(out[31]).toBe(0xab);
    expect(decodeHex64(b('AB'.repeat(32)), 0, 64, out, 0)).toBe(false);
    expect(decodeHex64(b('ab'.repeat(31)), 0, 62, out, 0)).toBe(false);
    expect(decodeHex64(b(`${'ab'.repeat(31)}ag`), 0, 64, out, 0)).toBe(false);
    const bytes = Buffer.from(`00${'ab'.repeat(32)}`, 'hex');
    expect(matchesHex64(b('ab'.repeat(32)), 0, 64, bytes, 1)).toBe(true);
    expect(matchesHex64(b('AB'.repeat(32)), 0, 64, bytes, 1)).toBe(false);
    expect(matchesHex64(b(`${'ab'.repeat(31)}ac`), 0, 64, bytes, 1)).toBe(false);
    expect(matchesHex64(b('ab'.repeat(32)), 0, 62, bytes, 1)).toBe(false);
    expect(matchesHex64(b('ab'.repeat(32)), 0, 64, bytes, 0)).toBe(false);
  });
});
