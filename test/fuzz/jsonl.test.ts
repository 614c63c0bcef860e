// Fuzzing the JSONL reader: the strict JSON parser on its own (against JSON.parse as the reference),
// then whole .jsonl files mutated byte by byte and read through openArchive + readRecords, whose line
// framing is checked against an independent split of the same bytes.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { MAX_JSON_DEPTH, parseStrictJson } from '../../src/archive/jsontext.ts';
import { checkAgainstLines, collect, expectedLines, firstThrown } from './records-oracle.ts';
import {
  caseDir,
  expectClearError,
  fuzz,
  mutate,
  mutationsArb,
  removeTempDirs,
  runs,
  tempDir,
  timeoutFor,
} from './support.ts';
import type { Outcome } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const PYTHON_LOG = fileURLToPath(new URL('../fixtures/spec/example-python-logger.jsonl', import.meta.url));

let tmp: string;
let seeds: Buffer[];
beforeAll(() => {
  tmp = tempDir('jsonl');
  const firstLines = (file: string, n: number) =>
    Buffer.from(`${readFileSync(file, 'utf8').split('\n').slice(0, n).join('\n')}\n`);
  seeds = [
    firstLines(join(EXAMPLE, 'decisions/2026-03-01.jsonl'), 5),
    firstLines(join(EXAMPLE, 'lifecycle/2026-02-09.jsonl'), 4),
    firstLines(PYTHON_LOG, 4),
  ];
});
afterAll(removeTempDirs);

/** Depth of a parsed JSON value, iteratively (the value may be deeper than the call stack allows). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

const TOKENS = [
  'NaN', 'Infinity', '-Infinity', '-', '1e400', '-1e400', '9007199254740993', '0.1e-999', '"', '\\', '\\u', '\\ud800',
  '{', '}', '[', ']', ',', ':', ' ', '\n', '\r', '\t', 'null', 'true', 'false', '\u0000', '\u2028', '"a":1,', '"a"',
  '00', '-0', '1.', '.5', '+1', '\ufeff', '\ud800', '\udc00', '{"a":1,"a":2}', '"\\u0061":0,',
]; // prettier-ignore

/** JSON text, then damaged at the character level with tokens parsers trip over. */
const damagedJson = fc
  .tuple(
    fc.json({ maxDepth: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS), fc.boolean()), { minLength: 0, maxLength: 4 }),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [at, token, replace] of edits) {
      const i = t.length === 0 ? 0 : at % t.length;
      t = t.slice(0, i) + token + t.slice(replace ? i + 1 : i);
    }
    return t;
  });

/** Nesting around and far beyond the depth limit, balanced or not, arrays and objects. */
const deepJson = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: 1, max: MAX_JSON_DEPTH + 8 }),
      fc.integer({ min: MAX_JSON_DEPTH - 2, max: MAX_JSON_DEPTH + 2 }),
      fc.constantFrom(10_000, 100_000),
    ),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([n, objects, balanced]) => {
    const open = objects ? '{"a":'.repeat(n - 1) + '[' : '['.repeat(n);
    const close = objects ? `]${'}'.repeat(n - 1)}` : ']'.repeat(n);
    return balanced ? `{"x":${open}${close}}` : `{"x":${open}`;
  });

const anyText = fc.oneof(
  { weight: 3, arbitrary: damagedJson },
  { weight: 2, arbitrary: fc.json({ maxDepth: 5 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...TOKENS), maxLength: 12 }) },
  { weight: 1, arbitrary: deepJson },
);

/** The strict parser against JSON.parse: same verdict and value, except duplicates and depth, which it refuses. */
function checkStrictParse(text: string): Outcome {
  let reference: { ok: true; value: unknown } | { ok: false };
  try {
    reference = { ok: true, value: JSON.parse(text) };
  } catch {
    reference = { ok: false };
  }
  const parsed = parseStrictJson(text);
  if (parsed.ok) {
    if (!reference.ok) throw new Error(`accepted text JSON.parse refuses: ${JSON.stringify(text)}`);
    if (!isDeepStrictEqual(parsed.value, reference.value)) throw new Error('value differs from JSON.parse');
    if (depthOf(reference.value) > MAX_JSON_DEPTH) throw new Error('accepted nesting beyond the limit');
    return 'valid';
  }
  if (!(parsed.offset >= 0 && parsed.offset <= text.length)) throw new Error(`offset ${parsed.offset} out of range`);
  if (parsed.message.startsWith('not valid JSON ('))
    throw new Error(`the scanner missed what JSON.parse refused in ${JSON.stringify(text)}`);
  if (reference.ok) {
    // JSON.parse read it: the refusal must be a duplicate name (at a string) or nesting past the limit.
    if (/^duplicate member name /.test(parsed.message)) {
      if (text[parsed.offset] !== '"') throw new Error(`duplicate reported at ${parsed.offset}, not at a name`);
    } else if (/nested deeper than/.test(parsed.message)) {
      if (depthOf(reference.value) <= MAX_JSON_DEPTH) throw new Error('refused nesting within the limit');
    } else throw new Error(`refused valid JSON: ${parsed.message}`);
  }
  return 'rejected';
}

/** Text of an object with one member name repeated somewhere inside (possibly spelled with \u escapes). */
const withDuplicate = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.boolean(), fc.jsonValue({ maxDepth: 1 }))
  .map(([value, pick, escaped, extra]) => {
    const objects: Record<string, unknown>[] = [];
    const collect = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      if (!Array.isArray(v) && Object.keys(v).length > 0) objects.push(v as Record<string, unknown>);
      for (const c of Object.values(v as object)) collect(c);
    };
    collect(value);
    const target = objects.length > 0 ? objects[pick % objects.length] : undefined;
    const spell = (k: string) =>
      escaped
        ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
        : JSON.stringify(k);
    const write = (v: unknown): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
      const members = Object.entries(v).map(([k, c]) => `${JSON.stringify(k)}:${write(c)}`);
      if (v === target) members.push(`${spell(Object.keys(v)[0])}:${JSON.stringify(extra)}`);
      return `{${members.join(',')}}`;
    };
    return target ? write(value) : `{"k":1,${spell('k')}:${write(value)}}`;
  });

// ---------------------------------------------------------------------------------------------------

async function checkJsonlFile(bytes: Buffer): Promise<Outcome> {
  const dir = caseDir(tmp);
  try {
    const name = 'decisions.jsonl';
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const firstError = checkAgainstLines(await collect(path, name), expectedLines(bytes), name);
    const thrown = await firstThrown(path, name);
    if (!firstError) {
      if (thrown !== undefined) throw new Error(`'throw' mode threw on a clean file: ${String(thrown)}`);
      return 'valid';
    }
    expectClearError(thrown, `${name}:${firstError.line}: `, ['MALFORMED_RECORD', 'LIMIT_EXCEEDED'], {
      needLine: true,
    });
    return 'rejected';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lineStarts = (b: Buffer): number[] => {
  const out = [0];
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) out.push(i + 1);
  return out;
};

describe('fuzz: JSONL', () => {
  const textRuns = runs(400);
  it(
    `strict JSON text agrees with JSON.parse, refusing duplicates and deep nesting (${textRuns} cases)`,
    async () => {
      await fuzz('jsonl', 'json-text', anyText, checkStrictParse, textRuns);
    },
    timeoutFor(textRuns, 5),
  );

  const dupRuns = runs(150);
  it(
    `a repeated member name is refused at any depth (${dupRuns} cases)`,
    async () => {
      await fuzz(
        'jsonl',
        'duplicate-names',
        withDuplicate,
        (text) => {
          const parsed = parseStrictJson(text);
          if (parsed.ok || !/^duplicate member name /.test(parsed.message))
            throw new Error(`not refused as a duplicate: ${JSON.stringify(text)}`);
          return 'rejected';
        },
        dupRuns,
      );
    },
    timeoutFor(dupRuns, 5),
  );

  const fileRuns = runs(60);
  it(
    `mutated .jsonl files: every line read or refused at its number (${fileRuns} cases)`,
    async () => {
      await fuzz(
        'jsonl',
        'file-bytes',
        fc.tuple(fc.nat(), mutationsArb),
        ([pick, mutations]) => {
          const seed = seeds[pick % seeds.length];
          return checkJsonlFile(mutate(seed, mutations, lineStarts(seed)));
        },
        fileRuns,
      );
    },
    timeoutFor(fileRuns, 200),
  );
});
