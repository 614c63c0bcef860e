/**
 * The query context of an open case (src/query/context.ts), kept between requests: building it reads the
 * latest verification run's findings and checks which lookup tables are fresh, which costs tens of ms per
 * request at scale. It is rebuilt when the case's evidence or verification changes (an import finished, a
 * new run saved), and after the lookup tables are rebuilt.
 */
import type Database from 'better-sqlite3';
import type { CaseHandle } from '../case/store.ts';
import { queryContext, type QueryContext } from '../query/context.ts';

const cache = new WeakMap<CaseHandle, { stamp: string; ctx: Promise<QueryContext> }>();
const generations = new WeakMap<CaseHandle, number>();

function stampOf(db: Database.Database, generation: number): string {
  const row = db
    .prepare(
      `SELECT (SELECT count(*) FROM imports WHERE status = 'done') AS imports,
              (SELECT coalesce(max(id), 0) FROM verification_runs) AS runs`,
    )
    .get() as { imports: number; runs: number };
  return `${row.imports}:${row.runs}:${generation}`;
}

export function caseQueryContext(handle: CaseHandle): Promise<QueryContext> {
  const stamp = stampOf(handle.sqlite, generations.get(handle) ?? 0);
  const kept = cache.get(handle);
  if (kept && kept.stamp === stamp) return kept.ctx;
  const ctx = queryContext(handle);
  // A context that failed to build is not kept: the next request tries again.
  ctx.catch(() => cache.delete(handle));
  cache.set(handle, { stamp, ctx });
  return ctx;
}

/** Drops the kept context: the evidence or its derived tables changed. */
export function evidenceChanged(handle: CaseHandle): void {
  generations.set(handle, (generations.get(handle) ?? 0) + 1);
  cache.delete(handle);
}
