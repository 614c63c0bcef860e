/**
 * Strict JSON text parsing for evidence: JSON.parse does the work, and two things it cannot do are
 * added cheaply. (1) Duplicate member names: JSON.parse silently keeps the last one, so a producer and
 * a verifier could read different values from the same bytes; such text is rejected. (2) Exact error
 * locations: JSON.parse's messages differ between engines and rarely give a line, so a small scanner
 * finds the offset of the first problem.
 *
 * Duplicate detection costs almost nothing on clean input: each member name in the text is followed
 * (after optional whitespace) by a colon, so the number of colons whose previous non-blank character is
 * a quote is an upper bound on the number of member names. When that count equals the number of members
 * the parsed value holds, there cannot be a duplicate. Only when the count is higher (a duplicate, or
 * string contents such as an embedded `\"a\":1`) does the full scanner run to decide.
 */

export type ParsedJson =
  | {
      ok: true;
      value: unknown;
      /**
       * Set when the text holds a number the parsed value cannot carry exactly (an integer beyond
       * 2^53-1, or a number beyond the range of a double): why a hash over the value cannot be trusted.
       */
      inexact?: string;
    }
  | { ok: false; offset: number; message: string };

/**
 * Deepest nesting of arrays and objects accepted. JSON.parse itself nests without limit, but every
 * recursive consumer after it (canonicalisation, JSON.stringify, structured clone, rendering) would
 * overflow the call stack on a 100,000-deep value; no audit record comes near this.
 */
export const MAX_JSON_DEPTH = 256;

export interface JsonProblem {
  /** UTF-16 offset in the text where the problem starts. */
  offset: number;
  message: string;
}

/** Parses JSON text, rejecting duplicate member names; problems come with the offset where they start. */
export function parseStrictJson(text: string): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const problem = findJsonProblem(text);
    if (problem) return { ok: false, ...problem };
    // The scanner and JSON.parse should agree; keep the engine's message (one line) if they do not.
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, offset: 0, message: `not valid JSON (${oneLine(msg)})` };
  }
  largeNumber = false;
  const members = boundedMembers(value, 0);
  if (members < 0 || countKeyColons(text) > members) {
    const problem = findJsonProblem(text);
    if (problem) return { ok: false, ...problem };
    if (members < 0) return { ok: false, offset: 0, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  if (largeNumber) {
    const inexact = inexactNumber(text);
    if (inexact) return { ok: true, value, inexact };
  }
  return { ok: true, value };
}

/** Set by boundedMembers when it meets a number of magnitude 2^53 or more (rare: then the text is looked at). */
let largeNumber = false;

/**
 * Members held by every object in a parsed value, like countMembers, or -1 when the value nests deeper
 * than MAX_JSON_DEPTH (it stops descending there, so it cannot overflow the stack itself).
 */
function boundedMembers(value: unknown, depth: number): number {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && (value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER))
      largeNumber = true;
    return 0;
  }
  if (depth >= MAX_JSON_DEPTH) return -1;
  let n = 0;
  // primitives are judged here rather than by a call each: this runs on every record read
  if (Array.isArray(value)) {
    for (const v of value) {
      if (v !== null && typeof v === 'object') {
        const m = boundedMembers(v, depth + 1);
        if (m < 0) return -1;
        n += m;
      } else if (typeof v === 'number' && (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER))
        largeNumber = true;
    }
    return n;
  }
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    n++;
    const v = obj[key];
    if (v !== null && typeof v === 'object') {
      const m = boundedMembers(v, depth + 1);
      if (m < 0) return -1;
      n += m;
    } else if (typeof v === 'number' && (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER))
      largeNumber = true;
  }
  return n;
}

/** The index of the quote closing the JSON string whose opening quote is at `open` (text.length if none). */
export function closingQuote(text: string, open: number): number {
  const n = text.length;
  let i = open + 1;
  for (; i < n; i++) {
    const d = text.charCodeAt(i);
    if (d === 0x5c) i++;
    else if (d === 0x22) break;
  }
  return i;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The first number token of (valid) JSON text that its parsed value cannot carry exactly: an integer
 * beyond +-(2^53-1) (I-JSON, RFC 7493 section 2.2; spec section 6 says the same of Parquet INT64), or a
 * number beyond the range of a double. Such a value is read rounded, so a hash recomputed over it can
 * neither confirm nor refute the bytes: the record is unverifiable, never "intact" or "tampered".
 */
export function inexactNumber(text: string): string | undefined {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      continue;
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
    NUMBER_RE.lastIndex = i;
    if (!NUMBER_RE.test(text)) continue;
    const token = text.slice(i, NUMBER_RE.lastIndex);
    const shown = token.length > 40 ? `${token.slice(0, 40)}...` : token;
    if (!/[.eE]/.test(token)) {
      const digits = token.startsWith('-') ? token.length - 1 : token.length;
      if (digits >= 16) {
        const big = BigInt(token);
        if (big > MAX_SAFE_BIG || big < -MAX_SAFE_BIG)
          return `the integer ${shown} (column ${i + 1}) is beyond 2^53-1, which JSON numbers cannot carry exactly`;
      }
    } else if (!Number.isFinite(Number(token))) {
      return `the number ${shown} (column ${i + 1}) is beyond the range of a JSON number (a 64-bit double)`;
    }
    i = NUMBER_RE.lastIndex - 1;
  }
  return undefined;
}

/** 1-based line and column of a UTF-16 offset (lines end at \n). */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function oneLine(s: string, max = 200): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : `a ${typeof value}`;
}

/** Colons whose previous non-whitespace character is a quote: at least one per member name in the text. */
export function countKeyColons(text: string): number {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    while (j >= 0 && isJsonSpace(text.charCodeAt(j))) j--;
    if (j >= 0 && text.charCodeAt(j) === 0x22) count++;
  }
  return count;
}

/** Members held by every object in a parsed value, at any depth. */
export function countMembers(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countMembers(v);
    return n;
  }
  for (const key in value as Record<string, unknown>) {
    n += 1 + countMembers((value as Record<string, unknown>)[key]);
  }
  return n;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

type Frame = { obj: true; keys: Set<string> } | { obj: false };

/**
 * Finds the first syntax error or duplicate member name in JSON text, or undefined when there is none.
 * Iterative, so deeply nested input cannot overflow the call stack.
 */
export function findJsonProblem(text: string): JsonProblem | undefined {
  const n = text.length;
  let i = 0;
  const stack: Frame[] = [];
  const skip = (): void => {
    while (i < n && isJsonSpace(text.charCodeAt(i))) i++;
  };
  const unexpected = (what: string): JsonProblem =>
    i >= n
      ? { offset: n, message: `unexpected end of JSON text, expected ${what}` }
      : { offset: i, message: `unexpected ${JSON.stringify(text[i])}, expected ${what}` };
  /** Advances past the string starting at i (a quote), or returns what is wrong with it. */
  const scanString = (): JsonProblem | undefined => {
    let j = i + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x22) {
        i = j + 1;
        return undefined;
      }
      if (c < 0x20) return { offset: j, message: 'control character inside a string' };
      if (c === 0x5c) {
        const e = text[j + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6)))
            return { offset: j, message: 'bad \\u escape in a string' };
          j += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) return { offset: j, message: 'bad escape in a string' };
        j += 2;
        continue;
      }
      j++;
    }
    return { offset: n, message: 'unterminated string' };
  };

  let expectValue = true;
  for (;;) {
    skip();
    if (expectValue) {
      const c = text[i];
      if ((c === '{' || c === '[') && stack.length >= MAX_JSON_DEPTH)
        return { offset: i, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
      if (c === '{') {
        i++;
        skip();
        if (text[i] === '}') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push({ obj: true, keys: new Set() });
        const keyProblem = readKey();
        if (keyProblem) return keyProblem;
        continue;
      }
      if (c === '[') {
        i++;
        skip();
        if (text[i] === ']') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push({ obj: false });
        continue;
      }
      if (c === '"') {
        const problem = scanString();
        if (problem) return problem;
      } else if (c === 't' && text.startsWith('true', i)) i += 4;
      else if (c === 'f' && text.startsWith('false', i)) i += 5;
      else if (c === 'n' && text.startsWith('null', i)) i += 4;
      else {
        NUMBER_RE.lastIndex = i;
        if (!NUMBER_RE.test(text) || NUMBER_RE.lastIndex === i) return unexpected('a value');
        i = NUMBER_RE.lastIndex;
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (!top) {
      if (i < n) return { offset: i, message: `unexpected ${JSON.stringify(text[i])} after the end of the JSON value` };
      return undefined;
    }
    const c = text[i];
    if (c === ',') {
      i++;
      if (top.obj) {
        skip();
        const keyProblem = readKey();
        if (keyProblem) return keyProblem;
      } else expectValue = true;
      continue;
    }
    if ((top.obj && c === '}') || (!top.obj && c === ']')) {
      i++;
      stack.pop();
      continue;
    }
    return unexpected(top.obj ? '"," or "}"' : '"," or "]"');
  }

  /** Reads `"name" :` inside the current object and leaves the scanner expecting the member's value. */
  function readKey(): JsonProblem | undefined {
    const top = stack[stack.length - 1] as { obj: true; keys: Set<string> };
    if (text[i] !== '"') return unexpected('a member name in double quotes');
    const start = i;
    const problem = scanString();
    if (problem) return problem;
    const key = JSON.parse(text.slice(start, i)) as string;
    if (top.keys.has(key)) return { offset: start, message: `duplicate member name ${JSON.stringify(key)}` };
    top.keys.add(key);
    skip();
    if (text[i] !== ':') return unexpected('":"');
    i++;
    expectValue = true;
    return undefined;
  }
}
