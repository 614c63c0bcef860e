/**
 * Shared machinery of the fuzz suites (test/fuzz/*.test.ts): how many cases, the per-case bounds (time,
 * memory), the one property every parser must hold (a valid result, or an AuditWsError that names the
 * file and the line / row / entry), byte-wise mutators, and the tally that `npm run fuzz` prints.
 *
 * Cases per property: env FUZZ_RUNS, else the suite's small default (the whole folder runs in CI in well
 * under a minute). FUZZ_SEED replays a run; a failure prints fast-check's seed and path for that.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AuditWsError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';

/** Cases per property: FUZZ_RUNS when set, else the suite's CI default. */
export function runs(ciDefault: number): number {
  const fromEnv = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : ciDefault;
}

/** A case slower than this fails: inputs are a few KB, so only a hang or a blow-up gets near it. */
export const CASE_TIME_LIMIT_MS = Number(process.env.FUZZ_CASE_MS) || 10_000;
/** Resident memory the process may reach while fuzzing; inputs are tiny, so growth past it is a leak or a bomb. */
export const RSS_LIMIT_BYTES = (Number(process.env.FUZZ_RSS_MB) || 1536) * 1024 * 1024;

/** vitest timeout for one property: generous, since FUZZ_RUNS can be large. */
export function timeoutFor(cases: number, perCaseMs: number): number {
  return Math.max(180_000, cases * perCaseMs * 10);
}

export type Outcome = 'valid' | 'rejected';

interface Tally {
  parser: string;
  property: string;
  cases: number;
  valid: number;
  rejected: number;
  failures: number;
  slowestMs: number;
  totalMs: number;
  peakRssMb: number;
  seed: number;
  counterexample?: string;
}

function record(t: Tally): void {
  const file = process.env.FUZZ_STATS_FILE;
  if (file) appendFileSync(file, `${JSON.stringify(t)}\n`);
}

/**
 * Runs one property over `runs` generated inputs. `check` returns whether the parser accepted the
 * input ('valid') or refused it with a clear error ('rejected'), and throws (an assertion) otherwise.
 * Each case is bounded in time and the process in memory; the counts go to FUZZ_STATS_FILE.
 */
export async function fuzz<T>(
  parser: string,
  property: string,
  arb: fc.Arbitrary<T>,
  check: (input: T) => Promise<Outcome> | Outcome,
  numRuns: number,
): Promise<void> {
  const seed = Number(process.env.FUZZ_SEED) || Date.now() ^ (Math.random() * 0x7fffffff);
  const t: Tally = {
    parser,
    property,
    cases: 0,
    valid: 0,
    rejected: 0,
    failures: 0,
    slowestMs: 0,
    totalMs: 0,
    peakRssMb: 0,
    seed,
  };
  let failed = false;
  // An error event nobody listens to would crash the CLI or the app: it fails the case it surfaces in.
  const stray: unknown[] = [];
  const onStray = (err: unknown): void => {
    stray.push(err);
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  const strayCheck = (): void => {
    if (stray.length === 0) return;
    const err = stray.splice(0)[0];
    throw new Error(
      `uncaught ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (from this case or one just before)`,
    );
  };
  const details = await fc
    .check(
      fc.asyncProperty(arb, async (input) => {
        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        let outcome: Outcome;
        try {
          outcome = await Promise.race([
            Promise.resolve().then(() => check(input)),
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`case did not finish within ${CASE_TIME_LIMIT_MS} ms (hang)`)),
                CASE_TIME_LIMIT_MS,
              );
            }),
          ]);
          await new Promise((resolve) => setImmediate(resolve));
          strayCheck();
          const ms = performance.now() - started;
          // A synchronous parser cannot be interrupted by the timer; its time is judged afterwards.
          if (ms > CASE_TIME_LIMIT_MS) throw new Error(`case took ${Math.round(ms)} ms (limit ${CASE_TIME_LIMIT_MS})`);
          const rss = process.memoryUsage().rss;
          if (rss > RSS_LIMIT_BYTES)
            throw new Error(
              `resident memory reached ${Math.round(rss / 2 ** 20)} MB (limit ${RSS_LIMIT_BYTES / 2 ** 20})`,
            );
          if (!failed) {
            t.cases++;
            t[outcome]++;
            t.slowestMs = Math.max(t.slowestMs, Math.round(ms));
            t.totalMs += ms;
            t.peakRssMb = Math.max(t.peakRssMb, Math.round(rss / 2 ** 20));
          }
        } catch (err) {
          if (!failed) {
            failed = true;
            t.cases++;
            t.failures++;
          }
          throw err;
        } finally {
          clearTimeout(timer);
        }
      }),
      { numRuns, seed, endOnFailure: process.env.FUZZ_NO_SHRINK === '1' },
    )
    .finally(() => {
      process.off('uncaughtException', onStray);
      process.off('unhandledRejection', onStray);
    });
  if (details.failed) t.counterexample = fc.stringify(details.counterexample).slice(0, 2000);
  record(t);
  if (details.failed) {
    const cause = details.errorInstance;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`${parser} / ${property}: ${why}\n${fc.defaultReportMessage(details) ?? ''}`);
  }
}

const STACK_LINE = /\n\s+at .+\(.*:\d+:\d+\)/;

/**
 * The clear-error half of the property: an AuditWsError (never a TypeError, RangeError or a library's
 * error) of an expected code, whose one-line message names the file, and names the line, row or entry
 * whenever its details carry one.
 */
export function expectClearError(
  err: unknown,
  file: string | readonly string[],
  codes: readonly ErrorCode[],
  opts: { needLine?: boolean; needRow?: boolean } = {},
): asserts err is AuditWsError {
  if (!(err instanceof AuditWsError)) {
    const what = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    throw new Error(`expected an AuditWsError, got ${what}`);
  }
  const m = err.message;
  const files = typeof file === 'string' ? [file] : file;
  if (!codes.includes(err.code)) throw new Error(`unexpected error code ${err.code}: ${m}`);
  if (!files.some((f) => m.includes(f))) throw new Error(`message does not name the file (${files.join(' | ')}): ${m}`);
  if (STACK_LINE.test(m)) throw new Error(`message carries a stack trace: ${m}`);
  const { line, row, entry } = err.details;
  if (line !== undefined && !(m.includes(`:${line}:`) || m.includes(`line ${line}`)))
    throw new Error(`details.line ${line} is not in the message: ${m}`);
  if (row !== undefined && !m.includes(`row ${row}`)) throw new Error(`details.row ${row} is not in the message: ${m}`);
  if (entry !== undefined && !m.includes(entry) && !m.includes(JSON.stringify(entry)))
    throw new Error(`details.entry ${JSON.stringify(entry)} is not in the message: ${m}`);
  if (opts.needLine && line === undefined) throw new Error(`no line in the error details: ${m}`);
  if (opts.needRow && row === undefined) throw new Error(`no row in the error details: ${m}`);
}

// ---------------------------------------------------------------------------------------------------
// Byte-wise mutation

export type Mutation =
  | { op: 'set'; at: number; byte: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'truncate'; at: number }
  | { op: 'interesting'; at: number; value: number; width: 1 | 2 | 4 };

/** Bytes that tend to matter to parsers: structure characters, line ends, high bits, BOM pieces. */
const SPECIAL_BYTES = [
  0x00, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0xbf, 0xc0, 0xef, 0xfe, 0xff,
];
/** Values that tend to matter in binary length and offset fields. */
const INTERESTING = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

const pos = fc.nat({ max: 0xffffff });
const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SPECIAL_BYTES));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: pos, byte: byteArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: pos,
      bytes: fc.array(byteArb, { minLength: 1, maxLength: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('duplicate' as const),
      at: pos,
      length: fc.integer({ min: 1, max: 256 }),
      to: pos,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: pos }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('interesting' as const),
      at: pos,
      value: fc.constantFrom(...INTERESTING),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
    }),
  },
);

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

/**
 * Applies mutations to a copy of `seed`. `hot` lists offsets worth aiming at (headers, length fields):
 * one mutation in three lands on or just after one of them, the rest anywhere.
 */
export function mutate(seed: Buffer, mutations: readonly Mutation[], hot: readonly number[] = []): Buffer {
  let b = Buffer.from(seed);
  const place = (at: number, size: number): number => {
    if (size === 0) return 0;
    if (hot.length > 0 && at % 3 === 0) {
      const h = hot[Math.floor(at / 3) % hot.length] + ((at >> 8) % 8);
      return Math.min(h, size - 1);
    }
    return at % size;
  };
  for (const m of mutations) {
    if (b.length === 0) {
      if (m.op === 'insert') b = Buffer.from(m.bytes);
      continue;
    }
    const at = place(m.at, b.length);
    switch (m.op) {
      case 'set':
        b[at] = m.byte;
        break;
      case 'flip':
        b[at] ^= 1 << m.bit;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'duplicate': {
        const piece = Buffer.from(b.subarray(at, at + m.length));
        const to = m.to % (b.length + 1);
        b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'interesting': {
        const width = Math.min(m.width, b.length - at);
        for (let i = 0; i < width; i++) b[at + i] = (m.value >>> (8 * i)) & 0xff;
        break;
      }
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Temporary folders

const made: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `audit-ws-fuzz-${prefix}-`));
  made.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh empty folder under `parent` for one case; the caller removes it. */
export function caseDir(parent: string): string {
  return mkdtempSync(join(parent, 'c-'));
}

export function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
