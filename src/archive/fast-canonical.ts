/**
 * A faster RFC 8785 serialiser for the shapes audit records take, used on the verification hot path.
 * Key order and the quoted member names are computed once per object shape (the same member set recurs
 * on every line of a stream) instead of sorting and quoting on every record. Strings and finite numbers
 * use JSON.stringify, which is exactly the ECMAScript serialisation RFC 8785 prescribes.
 * test/unit/fast-canonical.test.ts keeps it identical to the `canonicalize` library (including null
 * dropping), so the library stays the reference.
 */
interface Shape {
  keys: string[];
  /** `"name":` for each key, in sorted order */
  prefixes: string[];
}

const shapeCache = new Map<string, Shape>();
const MAX_SHAPES = 10_000;
const SEP = '\u0000';

/**
 * Shapes are cached under the member names joined by NUL, and only when no name contains NUL; then two
 * member lists of equal length with the same joined text are the same list, so a length check suffices.
 */
function shapeOf(obj: Record<string, unknown>): Shape {
  const keys = Object.keys(obj);
  const id = keys.join(SEP);
  const hit = shapeCache.get(id);
  if (hit && hit.keys.length === keys.length) return hit;
  // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
  const sorted = keys.slice().sort();
  const shape: Shape = { keys: sorted, prefixes: sorted.map((k) => JSON.stringify(k) + ':') };
  if (shapeCache.size < MAX_SHAPES && !keys.some((k) => k.includes(SEP))) shapeCache.set(id, shape);
  return shape;
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
    case 'object':
      return Array.isArray(value) ? serialiseArray(value) : serialiseObject(value as Record<string, unknown>, undefined);
    default:
      throw new TypeError(`${typeof value} cannot be represented in JSON`);
  }
}

function serialiseArray(value: unknown[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    const v = value[i];
    out += v === undefined ? 'null' : serialise(v);
  }
  return out + ']';
}

/** Object members in canonical order, null members dropped (jcs-sha256-v1), optionally one member skipped. */
function serialiseObject(obj: Record<string, unknown>, skip: string | undefined): string {
  const { keys, prefixes } = shapeOf(obj);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === skip) continue;
    const v = obj[k];
    if (v === undefined || v === null) continue;
    if (!first) out += ',';
    first = false;
    out += prefixes[i] + serialise(v);
  }
  return out + '}';
}

/** Canonical text of a record under jcs-sha256-v1: without `hash`, null members dropped at every depth. */
export function fastCanonicalText(record: Record<string, unknown>): string {
  return serialiseObject(record, 'hash');
}
