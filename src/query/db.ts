/**
 * How the queries talk to evidence.duckdb: named `$parameters` only (user values are bound, never
 * spliced into SQL text), rows as plain JSON (BIGINT to number, or to a decimal string past 2^53),
 * times as ISO 8601 text produced by DuckDB itself, and the paging rules every list result follows.
 */
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { AuditWsError } from '../errors.ts';

/** Values a query may bind. Arrays bind as LIST(VARCHAR) and must not be empty (DuckDB cannot type an empty list). */
export type SqlParam = string | number | boolean | null | readonly string[] | RowIds;

/** A list of rowids (or other whole numbers) bound as LIST(BIGINT); may be empty. */
export class RowIds {
  constructor(readonly ids: readonly number[]) {}
}
export type SqlParams = Record<string, SqlParam>;

/** A plain JSON value, what every query result is made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Row = Record<string, Json>;

export function bindable(params: SqlParams): {
  values: Record<string, DuckDBValue>;
  types: Record<string, DuckDBType>;
} {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value instanceof RowIds) {
      values[name] = listValue(value.ids.map((n) => BigInt(Math.trunc(n))));
      types[name] = LIST(BIGINT);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`query parameter $${name}: an empty list cannot be bound`);
      values[name] = listValue(value as string[]);
    } else values[name] = value as DuckDBValue;
  }
  return { values, types };
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

/**
 * Runs one statement with named parameters and returns its rows as plain JSON objects. `prepared`
 * keeps the statement prepared on this connection for the next call with the same SQL: the point
 * queries of timelines and lookups spend more time being planned than being run.
 */
export async function queryRows<T extends Row = Row>(
  duck: DuckDBConnection,
  sql: string,
  params: SqlParams = {},
  options: { prepared?: boolean } = {},
): Promise<T[]> {
  if (options.prepared) return preparedRows<T>(duck, sql, params);
  const { values, types } = bindable(params);
  const reader = await duck.runAndReadAll(sql, values, types);
  return reader.getRowObjectsJS().map((r) => plain(r) as T);
}

interface CachedStatement {
  statement: Promise<DuckDBPreparedStatement>;
  /** Runs on one statement wait for each other: binding and running are two steps. */
  queue: Promise<unknown>;
}

const STATEMENTS_PER_CONNECTION = 128;
const statements = new WeakMap<DuckDBConnection, Map<string, CachedStatement>>();

async function preparedRows<T extends Row>(duck: DuckDBConnection, sql: string, params: SqlParams): Promise<T[]> {
  let cache = statements.get(duck);
  if (!cache) statements.set(duck, (cache = new Map()));
  let entry = cache.get(sql);
  if (entry) {
    // least recently used goes first
    cache.delete(sql);
    cache.set(sql, entry);
  } else {
    if (cache.size >= STATEMENTS_PER_CONNECTION) cache.delete(cache.keys().next().value as string);
    entry = { statement: duck.prepare(sql), queue: Promise.resolve() };
    cache.set(sql, entry);
    entry.statement.catch(() => cache.delete(sql));
  }
  const current = entry;
  const run = current.queue.then(async () => {
    const statement = await current.statement;
    const { values, types } = bindable(params);
    statement.bind(values, types);
    const reader = await statement.runAndReadAll();
    return reader.getRowObjectsJS().map((r) => plain(r) as T);
  });
  current.queue = run.catch(() => undefined);
  return run;
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

/**
 * A TIMESTAMPTZ as a plain UTC TIMESTAMP, for date arithmetic: date_trunc and hour() on TIMESTAMPTZ go
 * through ICU time zone rules row by row (about 0.3 s per million rows here), on a TIMESTAMP they are
 * integer arithmetic (a tenth of that). Same values, since cases run in UTC.
 */
export function utcSql(expr: string): string {
  return `make_timestamp(epoch_us(${expr}))`;
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
  if (typeof value !== 'string')
    throw new AuditWsError('BAD_USAGE', `${what}: give a date or time as text (ISO 8601, e.g. 2026-03-01T00:00:00Z)`);
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
