/**
 * What a query runs against: the case's DuckDB connection (evidence), the verification state read
 * from case.sqlite (integrity of each row), and which lookup tables are fresh. Built once per request
 * from an open CaseHandle (read-only is enough); queries never open files themselves.
 */
import type Database from 'better-sqlite3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { IntegrityIndex } from './integrity.ts';
import { freshLookups } from './lookups.ts';

export interface QueryContext {
  duck: DuckDBConnection;
  integrity: IntegrityIndex;
  /** Lookup tables (lookups.ts) that match the current evidence; the rest are not used. */
  lookups: ReadonlySet<string>;
  /** case.sqlite, for what the case keeps besides the evidence tables (explanation artefacts). */
  sqlite?: Database.Database;
}

/** Anything holding an open case's connections, e.g. a CaseHandle. */
export interface CaseConnections {
  duck: DuckDBConnection;
  sqlite?: Database.Database;
}

export async function queryContext(c: CaseConnections): Promise<QueryContext> {
  return {
    duck: c.duck,
    integrity: new IntegrityIndex(c.sqlite),
    lookups: await freshLookups(c.duck),
    ...(c.sqlite ? { sqlite: c.sqlite } : {}),
  };
}
