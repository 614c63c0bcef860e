/**
 * Sorted key tables that make point lookups fast at ten million rows. DuckDB has no useful min/max
 * pruning on random ids, so `WHERE decision_id = $id` scans the whole column (about 200 ms at 10M
 * rows on two cores); an ART index answers in milliseconds but takes about a minute per key to build
 * there. A copy of (key, rowid) sorted by key builds in a few seconds, and its row groups' min/max
 * statistics then let DuckDB read one row group per lookup; the row itself is fetched by rowid.
 *
 * The whole-case facet counts (facets.ts) are kept the same way.
 *
 * These tables are derived data: they are rebuilt from the evidence tables (after an import, by
 * `buildLookups`), never the source of any value shown. A lookup table whose source row count no
 * longer matches is stale and ignored (the query scans instead), and every fetch by rowid re-checks
 * the key, so a stale or missing table can make a query slower, never wrong.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { queryRows } from './db.ts';
import { EVENT_FACET_CACHE, FACET_CACHE, columnFacetsSql, eventTypeFacetSql } from './facets.ts';
import type { Row, SqlParams } from './db.ts';

export interface LookupSpec {
  /** Table name in evidence.duckdb. */
  name: string;
  /** Evidence table the keys come from. */
  source: string;
  /** Key column of the source table. */
  key: string;
  /** A second sort column kept beside the key (e.g. the time, for a user's history in order). */
  then?: string;
}

export const LOOKUP_META = 'lookup_meta';

export const LOOKUPS: readonly LookupSpec[] = [
  { name: 'lookup_decisions_decision_id', source: KIND_TABLES.decision, key: 'decision_id' },
  { name: 'lookup_decisions_trace_id', source: KIND_TABLES.decision, key: 'trace_id' },
  { name: 'lookup_decisions_task_id', source: KIND_TABLES.decision, key: 'task_id' },
  { name: 'lookup_decisions_affected_user_id', source: KIND_TABLES.decision, key: 'affected_user_id', then: 'timestamp' },
  { name: 'lookup_reviews_decision_id', source: KIND_TABLES.review, key: 'decision_id' },
  { name: 'lookup_reviews_task_id', source: KIND_TABLES.review, key: 'task_id' },
  { name: 'lookup_outcomes_decision_id', source: KIND_TABLES.outcome, key: 'decision_id' },
];

/** Every derived table: the key tables, then the whole-case facet counts (facets.ts). */
const DERIVED: readonly { name: string; source: string; sql: string }[] = [
  ...LOOKUPS.map((l) => ({
    name: l.name,
    source: l.source,
    sql: `SELECT ${l.key} AS k${l.then ? `, ${l.then} AS t` : ''}, rowid AS rid FROM ${l.source} WHERE ${l.key} IS NOT NULL ORDER BY k${l.then ? ', t' : ''}`,
  })),
  { name: FACET_CACHE, source: KIND_TABLES.decision, sql: columnFacetsSql('true') },
  { name: EVENT_FACET_CACHE, source: KIND_TABLES.review, sql: eventTypeFacetSql(null) },
];

/**
 * (Re)builds every lookup table from the evidence tables, in one transaction. Call it on a case open
 * for writing after an import has committed; at 10M decisions it takes seconds, not minutes.
 */
export async function buildLookups(duck: DuckDBConnection): Promise<{ name: string; rows: number; ms: number }[]> {
  const built: { name: string; rows: number; ms: number }[] = [];
  await duck.run('BEGIN TRANSACTION');
  try {
    await duck.run(`CREATE TABLE IF NOT EXISTS ${LOOKUP_META} (name VARCHAR PRIMARY KEY, source VARCHAR, source_rows BIGINT, built_at TIMESTAMPTZ)`);
    for (const l of DERIVED) {
      const started = performance.now();
      await duck.run(`CREATE OR REPLACE TABLE ${l.name} AS ${l.sql}`);
      const [{ n }] = await queryRows(duck, `SELECT count(*) AS n FROM ${l.source}`);
      await duck.run(`INSERT OR REPLACE INTO ${LOOKUP_META} VALUES ($name, $source, $rows, now())`, { name: l.name, source: l.source, rows: Number(n) });
      const [{ k }] = await queryRows(duck, `SELECT count(*) AS k FROM ${l.name}`);
      built.push({ name: l.name, rows: Number(k), ms: Math.round(performance.now() - started) });
    }
    await duck.run('COMMIT');
  } catch (err) {
    await duck.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return built;
}

/** Which lookup tables can be trusted right now (present and built from the current row count). */
export async function freshLookups(duck: DuckDBConnection): Promise<Set<string>> {
  const fresh = new Set<string>();
  const [meta] = await queryRows(duck, `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = $name AND schema_name = 'main'`, { name: LOOKUP_META });
  if (Number(meta.n) === 0) return fresh;
  const sources = [...new Set(DERIVED.map((l) => l.source))];
  const counts = await queryRows(duck, sources.map((s) => `SELECT '${s}' AS source, count(*) AS n FROM ${s}`).join(' UNION ALL '));
  const current = new Map(counts.map((c) => [String(c.source), Number(c.n)]));
  const rows = await queryRows(duck, `SELECT name, source, source_rows FROM ${LOOKUP_META}`);
  const existing = new Set(
    (await queryRows(duck, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, 'lookup_')`)).map((r) =>
      String(r.table_name),
    ),
  );
  for (const r of rows) {
    const name = String(r.name);
    if (existing.has(name) && current.get(String(r.source)) === Number(r.source_rows)) fresh.add(name);
  }
  return fresh;
}

/**
 * Rows of `source` whose `key` column equals `value`, through the lookup table when it is fresh, else
 * by a scan. `select` is the SELECT list over the source aliased `x`. The fetch by rowid re-checks the
 * key; if it finds fewer rows than the lookup promised (the table was stale after all), the scan runs.
 */
export async function rowsByKey(
  duck: DuckDBConnection,
  fresh: ReadonlySet<string>,
  source: string,
  key: string,
  value: string,
  select: string,
): Promise<Row[]> {
  const spec = LOOKUPS.find((l) => l.source === source && l.key === key);
  if (spec && fresh.has(spec.name)) {
    const rids = await queryRows(duck, `SELECT rid FROM ${spec.name} WHERE k = $key`, { key: value });
    if (rids.length === 0) return [];
    const rows = await rowsByRowid(duck, source, rids.map((r) => Number(r.rid)), select, `x.${key} = $key`, { key: value });
    if (rows.length === rids.length) return rows;
  }
  return queryRows(duck, `SELECT ${select} FROM ${source} x WHERE x.${key} = $key`, { key: value });
}

/** Rows of `source` by rowid (numbers read back from DuckDB, never user text), with a re-check condition. */
export async function rowsByRowid(
  duck: DuckDBConnection,
  source: string,
  rowids: readonly number[],
  select: string,
  check: string,
  params: SqlParams,
): Promise<Row[]> {
  if (rowids.length === 0) return [];
  const list = rowids.map((n) => String(Math.trunc(n))).join(', ');
  return queryRows(duck, `SELECT ${select} FROM ${source} x WHERE x.rowid IN (${list}) AND ${check}`, params);
}
