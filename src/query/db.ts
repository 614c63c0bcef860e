/**
 * How the queries talk to evidence.duckdb: named `$parameters` only (user values are bound, never
 * spliced into SQL text), rows as plain JSON (BIGINT to number, or to a decimal string past 2^53),
 * times as ISO 8601 text produced by DuckDB itself, and the paging rules every list result follows.
 */
import { listValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { AuditWsError } from '../errors.ts';

/** Values a query may bind. Arrays bind as LIST(VARCHAR) and must not be empty (DuckDB cannot type an empty list). */
export type SqlParam = string | number | boolean | null | readonly string[];
export type SqlParams = Record<string, SqlParam>;

/** A plain JSON value, what every query result is made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Row = Record<string, Json>;

function bindable(params: SqlParams): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`query parameter $${name}: an empty list cannot be bound`);
      out[name] = listValue(value as string[]);
    } else out[name] = value as DuckDBValue;
  }
  return out;
}

/** A DuckDB JS value as plain JSON: exact integers stay exact (string past 2^53), non-finite numbers become null. */
export function plain(value: unknown): Json {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'object':
      if (Array.isArray(value)) return value.map(plain);
      if (value instanceof Date) return value.toISOString();
      if (Object.getPrototypeOf(value) === Object.prototype) {
        const out: Record<string, Json> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = plain(v);
        return out;
      }
      // DuckDB value classes (intervals, decimals, ...): their text form; queries cast to avoid them.
      return String(value);
    default:
      return String(value);
  }
}

/** Runs one statement with named parameters and returns its rows as plain JSON objects. */
export async function queryRows<T extends Row = Row>(
  duck: DuckDBConnection,
  sql: string,
  params: SqlParams = {},
): Promise<T[]> {
  const reader = await duck.runAndReadAll(sql, bindable(params));
  return reader.getRowObjectsJS().map((r) => plain(r) as T);
}

export async function queryOne<T extends Row = Row>(
  duck: DuckDBConnection,
  sql: string,
  params: SqlParams = {},
): Promise<T | undefined> {
  return (await queryRows<T>(duck, sql, params))[0];
}

/**
 * ISO 8601 UTC text of a TIMESTAMPTZ column, with milliseconds, or microseconds when the value has
 * them (epoch-seconds floats do), so nothing DuckDB holds is rounded away. The case connection runs
 * with TimeZone UTC (case/store.ts).
 */
export function isoSql(expr: string): string {
  return `CASE WHEN ${expr} IS NULL THEN NULL WHEN microsecond(${expr}) % 1000 = 0 THEN strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%fZ') END`;
}

/** Paging of every list result: `limit` rows from `offset`, never unbounded. */
export interface Page {
  limit?: number;
  offset?: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function pageOf(page: Page | undefined, defaultSize = DEFAULT_PAGE_SIZE): { limit: number; offset: number } {
  const limit = page?.limit ?? defaultSize;
  const offset = page?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new AuditWsError(
      'BAD_USAGE',
      `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${String(page?.limit)}`,
    );
  }
  if (!Number.isInteger(offset) || offset < 0)
    throw new AuditWsError('BAD_USAGE', `offset must be a whole number of 0 or more, not ${String(page?.offset)}`);
  return { limit, offset };
}

/** An ISO 8601 / RFC 3339 time given by the user, checked and normalised; `what` names the option in the error. */
export function timeParam(value: string, what: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new AuditWsError(
      'BAD_USAGE',
      `${what}: "${value}" is not a date or time (use ISO 8601, e.g. 2026-03-01T00:00:00Z)`,
    );
  return new Date(ms).toISOString();
}

/** A number option checked against a range; `what` names it in the error. */
export function numberParam(value: unknown, what: string, min: number, max: number, integer = false): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new AuditWsError(
      'BAD_USAGE',
      `${what} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not ${String(value)}`,
    );
  }
  return n;
}

/** A share, or null when there is nothing to divide by (never NaN or Infinity in a result). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}
