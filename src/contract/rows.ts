// DuckDB values as the UI reads them: exact integers as numbers where JSON can carry them, times as ISO text.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JsonValue } from './plain-json.ts';
import { toPlainJson } from './plain-json.ts';

export function jsonCell(value: unknown): JsonValue {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return toPlainJson(value);
}

export function jsonRow(row: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(row)) out[k] = jsonCell(v);
  return out;
}

/** Runs a query with positional `$1..` parameters and returns its rows as JSON objects. */
export async function queryRows(
  duck: DuckDBConnection,
  sql: string,
  params: (string | number | boolean | null)[] = [],
): Promise<Record<string, JsonValue>[]> {
  const reader = await duck.runAndReadAll(sql, params as never);
  return reader.getRowObjectsJS().map((r) => jsonRow(r as Record<string, unknown>));
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
