import { AuditWsError } from '../errors.ts';

/** JSON values: the only thing that crosses the contract, over IPC or HTTP alike. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The static shape of a value after `toPlainJson`: bigints, dates and bytes become strings. */
export type Jsonified<T> = T extends bigint | Date | Uint8Array
  ? string
  : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends readonly (infer U)[]
      ? readonly Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/**
 * Converts a core result into plain JSON before it crosses the boundary: structured clone (IPC) and
 * JSON.stringify (HTTP) disagree on bigint, Map, Date and typed arrays, so both transports get exactly this.
 * - bigint: decimal string (sequence numbers and sizes may exceed 2^53; a JSON number would lose digits);
 * - Date: ISO 8601 string; Uint8Array/Buffer: lowercase hex (hashes are hex everywhere in the format);
 * - Map: object (keys as strings); Set: array;
 * - objects with toJSON(): whatever toJSON returns, converted in turn;
 * - undefined, functions and symbols: dropped from objects, null in arrays (as JSON.stringify does);
 * - NaN and infinities: null (as JSON.stringify does); -0: 0 (as JSON.stringify writes it).
 * A cycle is a programming error and throws INTERNAL instead of overflowing the stack.
 */
export function toPlainJson(value: unknown): JsonValue {
  return convert(value, new Set<object>(), '$');
}

function convert(value: unknown, ancestors: Set<object>, where: string): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 too: JSON carries it as 0 and structured clone as -0, so both transports get 0.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return null;
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Uint8Array) return Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('hex');
  if (ancestors.has(obj)) {
    throw new AuditWsError('INTERNAL', `result is not plain data: it refers to itself at ${where}`, { entry: where });
  }
  ancestors.add(obj);
  try {
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      return convert((obj as { toJSON(): unknown }).toJSON(), ancestors, where);
    }
    if (Array.isArray(obj)) return obj.map((item, i) => convert(item, ancestors, `${where}[${i}]`));
    if (obj instanceof Set) return [...obj].map((item, i) => convert(item, ancestors, `${where}[${i}]`));
    const entries = obj instanceof Map ? [...obj].map(([k, v]) => [String(k), v] as const) : Object.entries(obj);
    // fromEntries defines own properties, so a member named "__proto__" stays data and never becomes a prototype.
    return Object.fromEntries(
      entries
        .filter(([, item]) => item !== undefined && typeof item !== 'function' && typeof item !== 'symbol')
        .map(([key, item]) => [key, convert(item, ancestors, `${where}.${key}`)]),
    );
  } finally {
    ancestors.delete(obj);
  }
}
