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

export type ParsedJson = { ok: true; value: unknown } | { ok: false; offset: number; message: string };

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
  if (countKeyColons(text) > countMembers(value)) {
    const problem = findJsonProblem(text);
    if (problem) return { ok: false, ...problem };
  }
  return { ok: true, value };
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
