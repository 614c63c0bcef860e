import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The record hashing rule named in archives as `hashAlg` / in the spec as jcs-sha256-v1. */
export const HASH_RULE = 'jcs-sha256-v1';
export const GENESIS_PREV_HASH = '0'.repeat(64);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Removes members whose value is null from every object at any depth. Array elements stay as they
 * are (a null inside an array is data, not an absent member), but objects inside arrays are cleaned.
 */
export function dropNullMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullMembers);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null) continue;
      out[k] = dropNullMembers(v);
    }
    return out;
  }
  return value;
}

/** The exact text that jcs-sha256-v1 hashes: the record without `hash`, nulls dropped, RFC 8785. */
export function canonicalText(record: Record<string, unknown>): string {
  const { hash: _omit, ...rest } = record;
  void _omit;
  const text = canonicalize(dropNullMembers(rest) as Json);
  if (text === undefined) throw new TypeError('record cannot be canonicalised');
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** jcs-sha256-v1 record hash, lowercase hex. */
export function recordHash(record: Record<string, unknown>): string {
  return sha256Hex(canonicalText(record));
}
