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
  /**
   * Further connections to the same evidence, for independent statements of one query to run side by
   * side (a timeline's point reads each keep one core busy); only for a case open read-only, which
   * cannot change between them. Absent: everything runs on `duck`, one statement after another.
   */
  spare?: SparePool;
}

/** Connections lent for one piece of work at a time. */
export interface SparePool {
  use<T>(work: (duck: DuckDBConnection) => Promise<T>): Promise<T>;
}

/** Anything holding an open case's connections, e.g. a CaseHandle. */
export interface CaseConnections {
  duck: DuckDBConnection;
  sqlite?: Database.Database;
  /** A case open read-only cannot change under the connection, so what was read of it is kept. */
  mode?: 'read' | 'write';
  /** Opens another connection to the same evidence (closed with the case), e.g. CaseHandle.connect. */
  connect?(): Promise<DuckDBConnection>;
}

/** At most this many spare connections per open case. */
const SPARE_CONNECTIONS = 2;

class Pool implements SparePool {
  private readonly free: DuckDBConnection[] = [];
  private readonly waiting: ((duck: DuckDBConnection) => void)[] = [];
  private opened = 0;

  constructor(private readonly open: () => Promise<DuckDBConnection>) {}

  async use<T>(work: (duck: DuckDBConnection) => Promise<T>): Promise<T> {
    const duck = await this.take();
    try {
      return await work(duck);
    } finally {
      const next = this.waiting.shift();
      if (next) next(duck);
      else this.free.push(duck);
    }
  }

  private async take(): Promise<DuckDBConnection> {
    const free = this.free.pop();
    if (free) return free;
    if (this.opened < SPARE_CONNECTIONS) {
      this.opened++;
      try {
        return await this.open();
      } catch (err) {
        this.opened--;
        throw err;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

const spareByConnection = new WeakMap<DuckDBConnection, Pool>();

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
  let spare: Pool | undefined;
  if (c.mode === 'read' && typeof c.connect === 'function') {
    spare = spareByConnection.get(c.duck);
    if (!spare) {
      const connect = c.connect.bind(c);
      spareByConnection.set(c.duck, (spare = new Pool(connect)));
    }
  }
  return { duck: c.duck, integrity, lookups, ...(c.sqlite ? { sqlite: c.sqlite } : {}), ...(spare ? { spare } : {}) };
}
