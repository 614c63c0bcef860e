/**
 * Read-only SQL over a case's evidence for power users (`audit-ws sql`). Three fences: the case is
 * opened READ_ONLY (DuckDB refuses any write to evidence.duckdb), only one SELECT or EXPLAIN statement
 * is accepted (so COPY ... TO, ATTACH, SET, INSTALL and friends are refused before they run), and the
 * result is streamed and cut at `limit` rows, so a query over ten million rows prints a page, not all.
 */
import { StatementType } from '@duckdb/node-api';
import { AuditWsError } from '../errors.ts';
import type { CaseHandle } from './store.ts';

export interface QueryPage {
  columns: { name: string; type: string }[];
  /** Values as JSON (DuckDB's getRowsJson: big integers and decimals as strings, timestamps as text). */
  rows: unknown[][];
  offset: number;
  limit: number;
  /** True when the query has more rows after this page. */
  more: boolean;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

const ALLOWED = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

function statementName(type: number): string {
  return (StatementType as unknown as Record<number, string>)[type] ?? 'this kind of';
}

export async function runReadOnlyQuery(
  handle: CaseHandle,
  sql: string,
  page: { limit?: number; offset?: number } = {},
): Promise<QueryPage> {
  const limit = page.limit ?? DEFAULT_QUERY_LIMIT;
  const offset = page.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new AuditWsError('BAD_USAGE', `--limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}`);
  }
  if (!Number.isInteger(offset) || offset < 0)
    throw new AuditWsError('BAD_USAGE', '--offset must be a whole number, 0 or more');

  let extracted;
  try {
    extracted = await handle.duck.extractStatements(sql);
  } catch (err) {
    throw new AuditWsError('BAD_USAGE', `SQL does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  if (extracted.count !== 1)
    throw new AuditWsError('BAD_USAGE', `give exactly one SQL statement (got ${extracted.count})`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    throw new AuditWsError('BAD_USAGE', (err as Error).message.split('\n')[0]);
  }
  if (!ALLOWED.has(prepared.statementType)) {
    throw new AuditWsError(
      'BAD_USAGE',
      `audit-ws sql is read-only: ${statementName(prepared.statementType)} statements are refused (use SELECT)`,
    );
  }

  // Read chunks only until the page is full plus one row (to know whether more follow): the rest of
  // the result is never computed.
  let reader;
  try {
    reader = await prepared.streamAndReadUntil(offset + limit + 1);
  } catch (err) {
    throw new AuditWsError('BAD_USAGE', (err as Error).message.split('\n')[0]);
  }
  const types = reader.columnTypes();
  const columns = reader.columnNames().map((name, i) => ({ name, type: types[i].toString() }));
  const all = reader.getRowsJson() as unknown[][];
  const rows = all.slice(offset, offset + limit);
  const more = all.length > offset + limit || (!reader.done && all.length >= offset + limit);
  return { columns, rows, offset, limit, more };
}
