/**
 * What a query runs against: the case's DuckDB connection (evidence), the verification state read
 * from case.sqlite (integrity of each row), and which lookup tables are fresh. Built once per request
 * from an open CaseHandle (read-only is enough); queries never open files themselves.
 */
import type Database from 'better-sqlite3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { IntegrityIndex, latestRunId } from './integrity.ts';
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
  /** A case open read-only cannot change under the connection, so what was read of it is kept. */
  mode?: 'read' | 'write';
}

const freshByConnection = new WeakMap<DuckDBConnection, Set<string>>();
const integrityBySqlite = new WeakMap<Database.Database, IntegrityIndex>();

export async function queryContext(c: CaseConnections): Promise<QueryContext> {
  let lookups = c.mode === 'read' ? freshByConnection.get(c.duck) : undefined;
  if (!lookups) {
    lookups = await freshLookups(c.duck);
    if (c.mode === 'read') freshByConnection.set(c.duck, lookups);
  }
  // a verification run can be saved while a reader is open (SQLite readers see it): keep the index
  // only while the latest run is the same
  let integrity = c.sqlite ? integrityBySqlite.get(c.sqlite) : undefined;
  if (!integrity || c.mode !== 'read' || integrity.runId !== latestRunId(c.sqlite)) {
    integrity = new IntegrityIndex(c.sqlite);
    if (c.sqlite && c.mode === 'read') integrityBySqlite.set(c.sqlite, integrity);
  }
  return { duck: c.duck, integrity, lookups, ...(c.sqlite ? { sqlite: c.sqlite } : {}) };
}
