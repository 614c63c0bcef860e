/**
 * The rules producers use for `inputHash`, so an incident responder's copy of a raw input can be
 * checked against a decision: SHA-256 of the RFC 8785 (JCS) text, or of Python's
 * `json.dumps(obj, sort_keys=True)` as common Python audit loggers write it, or of the file's bytes.
 *
 * Python's text depends on how `json.loads` typed each number (1.0 stays a float and prints "1.0",
 * 1 an int and prints "1"), which JSON.parse forgets, so the input is parsed here with each number's
 * source text kept. Python's output: keys sorted by code point, separators ", " and ": ", every
 * character outside printable ASCII escaped as \uXXXX (ensure_ascii), floats in repr form
 * (shortest round-trip digits; exponent form below 1e-4 and from 1e16), NaN / Infinity as literals.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AuditWsError } from '../errors.ts';

export type InputHashRule = 'rfc8785' | 'python-json-dumps-sort-keys' | 'file-bytes';

export const INPUT_HASH_RULES: readonly { rule: InputHashRule; description: string }[] = [
  { rule: 'rfc8785', description: 'SHA-256 of the RFC 8785 (JSON Canonicalization Scheme) text' },
  { rule: 'python-json-dumps-sort-keys', description: "SHA-256 of Python's json.dumps(obj, sort_keys=True)" },
  { rule: 'file-bytes', description: 'SHA-256 of the file exactly as given' },
];

type Node =
  | { t: 'object'; members: [string, Node][] }
  | { t: 'array'; items: Node[] }
  | { t: 'string'; v: string }
  | { t: 'number'; text: string }
  | { t: 'literal'; v: 'true' | 'false' | 'null' | 'NaN' | 'Infinity' | '-Infinity' };

/** A JSON parser that keeps each number's text (and accepts Python's NaN / Infinity, as json.loads does). */
export function parseKeepingNumbers(text: string, what = 'input'): Node {
  let i = 0;
  const fail = (msg: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new AuditWsError('UNREADABLE_INPUT', `${what}: not valid JSON at line ${line} (${msg})`, {
      file: what,
      line,
    });
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): Node => {
    if (depth > 1000) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const members: [string, Node][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'object', members };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        members.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { t: 'object', members };
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'array', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'array', items };
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return { t: 'string', v: string() };
    for (const lit of ['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity'] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return { t: 'literal', v: lit };
      }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 1100));
    if (!m || m[0] === '' || m[0] === '-') fail('unexpected character');
    i += m![0].length;
    return { t: 'number', text: m![0] };
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('control character in a string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('bad escape in a string');
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('text after the JSON value');
  return v;
}

/** The plain JS value of a node (numbers as doubles), for RFC 8785. */
function toJs(n: Node): unknown {
  switch (n.t) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of n.members) o[k] = toJs(v);
      return o;
    }
    case 'array':
      return n.items.map(toJs);
    case 'string':
      return n.v;
    case 'number':
      return Number(n.text);
    case 'literal':
      if (n.v === 'true') return true;
      if (n.v === 'false') return false;
      if (n.v === 'null') return null;
      return n.v === 'NaN' ? NaN : n.v === 'Infinity' ? Infinity : -Infinity;
  }
}

/** Python's repr of a float. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest digits that round-trip, as repr does
  const [mant, expText] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  const sign = x < 0 ? '-' : '';
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function pythonString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[k];
  }
  return `${out}"`;
}

/** Code-point order, as Python sorts str keys (JS's default sort compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const d = x[k].codePointAt(0)! - y[k].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** `json.dumps(json.loads(text), sort_keys=True)` as CPython writes it. */
export function pythonJsonDumpsSortKeys(n: Node): string {
  switch (n.t) {
    case 'object': {
      // json.loads keeps the last of duplicate names
      const last = new Map<string, Node>();
      for (const [k, v] of n.members) last.set(k, v);
      const keys = [...last.keys()].sort(byCodePoint);
      return `{${keys.map((k) => `${pythonString(k)}: ${pythonJsonDumpsSortKeys(last.get(k)!)}`).join(', ')}}`;
    }
    case 'array':
      return `[${n.items.map(pythonJsonDumpsSortKeys).join(', ')}]`;
    case 'string':
      return pythonString(n.v);
    case 'literal':
      return n.v;
    case 'number':
      if (/^-?[0-9]+$/.test(n.text)) return BigInt(n.text).toString();
      return pythonFloatRepr(Number(n.text));
  }
}

export interface InputHashes {
  rfc8785: string | null;
  'python-json-dumps-sort-keys': string | null;
  'file-bytes': string;
  /** Why a rule could not be applied (e.g. NaN has no RFC 8785 form, or the file is not JSON). */
  problems: string[];
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The input's hash under every rule. */
export function inputHashes(bytes: Buffer, what = 'input'): InputHashes {
  const problems: string[] = [];
  const out: InputHashes = {
    rfc8785: null,
    'python-json-dumps-sort-keys': null,
    'file-bytes': sha256(bytes),
    problems,
  };
  let node: Node | undefined;
  try {
    node = parseKeepingNumbers(bytes.toString('utf8').replace(/^\uFEFF/, ''), what);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  if (!node) return out;
  try {
    const text = canonicalize(toJs(node) as never);
    if (text === undefined) throw new Error('no RFC 8785 form');
    out.rfc8785 = sha256(text);
  } catch (err) {
    problems.push(`rfc8785: ${err instanceof Error ? err.message : String(err)}`);
  }
  out['python-json-dumps-sort-keys'] = sha256(pythonJsonDumpsSortKeys(node));
  return out;
}
