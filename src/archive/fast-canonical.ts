/**
 * A faster RFC 8785 serialiser for the shapes audit records take, used on the verification hot path.
 * Key order is computed once per object shape (the same member set recurs on every line of a stream)
 * instead of sorting on every record. Strings and finite numbers use JSON.stringify, which is exactly the
 * ECMAScript serialisation RFC 8785 prescribes. test/unit/fast-canonical.test.ts keeps it identical to the
 * `canonicalize` library (including null dropping), so the library stays the reference.
 */
const shapeCache = new Map<string, string[]>();
const MAX_SHAPES = 10_000;

function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  const shape = keys.join('\u0000');
  let sorted = shapeCache.get(shape);
  // keys may contain the separator, so a hit is trusted only if it names exactly this object's members
  if (sorted && (sorted.length !== keys.length || !sorted.every((k) => Object.hasOwn(obj, k)))) sorted = undefined;
  if (!sorted) {
    // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
    sorted = keys.slice().sort();
    if (shapeCache.size < MAX_SHAPES) shapeCache.set(shape, sorted);
  }
  return sorted;
}

function serialise(value: unknown, dropNulls: boolean): string {
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
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v = value[i];
          out += v === undefined ? 'null' : serialise(v, dropNulls);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(obj)) {
        const v = obj[k];
        if (v === undefined || (dropNulls && v === null)) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':' + serialise(v, dropNulls);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`${typeof value} cannot be represented in JSON`);
  }
}

/** Canonical text of a record under jcs-sha256-v1: without `hash`, null members dropped at every depth. */
export function fastCanonicalText(record: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const k of sortedKeys(record)) {
    if (k === 'hash') continue;
    const v = record[k];
    if (v === undefined || v === null) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + serialise(v, true);
  }
  return out + '}';
}
