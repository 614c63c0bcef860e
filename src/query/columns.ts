/**
 * SELECT lists over the evidence tables built from their schema (case/evidence-schema.ts), so results
 * carry every spec member under its camelCase name with no column spelled twice: times as ISO text
 * plus the text as written (`<member>Text`), JSON members parsed, and the row reference columns.
 */
import type { RecordKind } from '../archive/kinds.ts';
import { KIND_TABLES, memberColumns, quoteIdent } from '../case/evidence-schema.ts';
import { isoSql } from './db.ts';
import type { Json, Row } from './db.ts';
import { refColumnsSql, refOf } from './integrity.ts';
import type { RowRef, RowTable } from './integrity.ts';

/** Every spec member of `kind` (not the chain members: they are in the reference) over alias `a`, then the reference columns. */
export function membersSql(kind: RecordKind, a: string): string {
  const parts: string[] = [];
  for (const m of memberColumns(kind)) {
    if (m.member === 'stream' || m.member === 'seq' || m.member === 'prevHash' || m.member === 'hash') continue;
    const col = `${a}.${quoteIdent(m.column)}`;
    if (m.type === 'time') {
      parts.push(`${isoSql(col)} AS ${quoteIdent(m.member)}`);
      parts.push(`${a}.${quoteIdent(m.textColumn!)} AS ${quoteIdent(`${m.member}Text`)}`);
    } else if (m.type === 'json') {
      parts.push(`${col}::VARCHAR AS ${quoteIdent(m.member)}`);
    } else parts.push(`${col} AS ${quoteIdent(m.member)}`);
  }
  parts.push(`${a}.extra::VARCHAR AS ${quoteIdent('extra')}`);
  parts.push(refColumnsSql(a));
  return parts.join(',\n  ');
}

const JSON_MEMBERS: Record<RecordKind, Set<string>> = Object.fromEntries(
  (['decision', 'lifecycle', 'review', 'outcome'] as const).map((k) => [
    k,
    new Set([
      ...memberColumns(k)
        .filter((m) => m.type === 'json')
        .map((m) => m.member),
      'extra',
    ]),
  ]),
) as Record<RecordKind, Set<string>>;

const ANY_MEMBERS: Record<RecordKind, Set<string>> = Object.fromEntries(
  (['decision', 'lifecycle', 'review', 'outcome'] as const).map((k) => [
    k,
    new Set(
      memberColumns(k)
        .filter((m) => m.type === 'any')
        .map((m) => m.member),
    ),
  ]),
) as Record<RecordKind, Set<string>>;

function parseJson(text: Json): Json {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/**
 * A row of membersSql as the record's members (null ones left out; JSON members parsed; a value of
 * any type, e.g. `prediction`, is kept as a string unless it was written as an object or array) and
 * its reference.
 */
export function recordOf(kind: RecordKind, r: Row): { record: Record<string, Json>; ref: RowRef } {
  const record: Record<string, Json> = {};
  for (const [k, v] of Object.entries(r)) {
    // absent and null members are the same thing to the hash rule; the result shows what the record holds
    if (k.startsWith('ref_') || k === 'sort_us' || v === null) continue;
    if (JSON_MEMBERS[kind].has(k)) record[k] = parseJson(v);
    else if (ANY_MEMBERS[kind].has(k) && typeof v === 'string' && (v.startsWith('{') || v.startsWith('[')))
      record[k] = parseJson(v);
    else record[k] = v;
  }
  return { record, ref: refOf(KIND_TABLES[kind] as RowTable, r) };
}

/** Epoch microseconds of a TIMESTAMPTZ column: the sort key of mixed-kind timelines (ISO texts of mixed precision do not sort). */
export function epochUsSql(expr: string): string {
  return `epoch_us(${expr})`;
}
