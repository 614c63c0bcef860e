/**
 * A faster RFC 8785 serialiser for the shapes audit records take, used on the verification hot path.
 * The same member set recurs on every line of a stream, so for each object shape a serialiser is
 * compiled once: members in sorted order, quoted names as literals, null members skipped. Strings and
 * finite numbers go through JSON.stringify, which is exactly the ECMAScript serialisation RFC 8785
 * prescribes. test/unit/fast-canonical.test.ts keeps it identical to the `canonicalize` library
 * (including null dropping), so the library stays the reference.
 */
type Compiled = (obj: Record<string, unknown>, value: (v: unknown) => string) => string;

interface Shape {
  size: number;
  compiled: Compiled;
}

const shapeCache = new Map<string, Shape>();
const MAX_SHAPES = 10_000;
const SEP = '\u0000';

function compile(sortedKeys: string[], skip: string | undefined): Compiled {
  const lines = ["let out = '{';", 'let sep = false;', 'let v;'];
  for (const k of sortedKeys) {
    if (k === skip) continue;
    const access = JSON.stringify(k); // a JSON string is a valid JS string literal (ES2019+)
    const prefix = JSON.stringify(JSON.stringify(k) + ':');
    lines.push(
      `v = obj[${access}];`,
      `if (v !== undefined && v !== null) { if (sep) out += ','; sep = true; out += ${prefix} + (typeof v === 'string' ? JSON.stringify(v) : value(v)); }`,
    );
  }
  lines.push("return out + '}';");
  return new Function('obj', 'value', lines.join('\n')) as Compiled;
}

function interpreted(keys: string[], skip: string | undefined): Compiled {
  return (obj, value) => {
    let out = '{';
    let sep = false;
    for (const k of keys) {
      if (k === skip) continue;
      const v = obj[k];
      if (v === undefined || v === null) continue;
      if (sep) out += ',';
      sep = true;
      out += JSON.stringify(k) + ':' + value(v);
    }
    return out + '}';
  };
}

/**
 * Shapes are cached under the member names joined by NUL, and only when no name contains NUL; then two
 * member lists of equal length with the same joined text are the same list, so a length check suffices.
 */
function serialiserFor(obj: Record<string, unknown>, skip: string | undefined): Compiled {
  const keys = Object.keys(obj);
  const id = skip === undefined ? keys.join(SEP) : `${keys.join(SEP)}${SEP}${SEP}${skip}`;
  const hit = shapeCache.get(id);
  if (hit && hit.size === keys.length) return hit.compiled;
  // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
  const sorted = keys.slice().sort();
  const cacheable = shapeCache.size < MAX_SHAPES && !keys.some((k) => k.includes(SEP));
  if (!cacheable) return interpreted(sorted, skip);
  const compiled = compile(sorted, skip);
  shapeCache.set(id, { size: keys.length, compiled });
  return compiled;
}

function serialise(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be represented in JSON`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (!Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        return serialiserFor(obj, undefined)(obj, serialise);
      }
      let out = '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += ',';
        const v = value[i];
        out += v === undefined ? 'null' : serialise(v);
      }
      return out + ']';
    }
    default:
      throw new TypeError(`${typeof value} cannot be represented in JSON`);
  }
}

/** Canonical text of a record under jcs-sha256-v1: without `hash`, null members dropped at every depth. */
export function fastCanonicalText(record: Record<string, unknown>): string {
  return serialiserFor(record, 'hash')(record, serialise);
}
