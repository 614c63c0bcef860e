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
  {
    name: 'lookup_decisions_affected_user_id',
    source: KIND_TABLES.decision,
    key: 'affected_user_id',
    then: 'timestamp',
  },
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
  // the tables must be stored in key order for their min/max statistics to prune; the case connection
  // runs with preserve_insertion_order off (store.ts), which lets a parallel ORDER BY store out of order
  const [{ keep }] = await queryRows(duck, `SELECT current_setting('preserve_insertion_order') AS keep`);
  await duck.run('SET preserve_insertion_order = true');
  await duck.run('BEGIN TRANSACTION');
  try {
    await duck.run(
      `CREATE TABLE IF NOT EXISTS ${LOOKUP_META} (name VARCHAR PRIMARY KEY, source VARCHAR, source_rows BIGINT, built_at TIMESTAMPTZ)`,
    );
    for (const l of DERIVED) {
      const started = performance.now();
      await duck.run(`CREATE OR REPLACE TABLE ${l.name} AS ${l.sql}`);
      const [{ n }] = await queryRows(duck, `SELECT count(*) AS n FROM ${l.source}`);
      await duck.run(`INSERT OR REPLACE INTO ${LOOKUP_META} VALUES ($name, $source, $rows, now())`, {
        name: l.name,
        source: l.source,
        rows: Number(n),
      });
      const [{ k }] = await queryRows(duck, `SELECT count(*) AS k FROM ${l.name}`);
      built.push({ name: l.name, rows: Number(k), ms: Math.round(performance.now() - started) });
    }
    await duck.run('COMMIT');
  } catch (err) {
    await duck.run('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await duck.run(`SET preserve_insertion_order = ${keep === true || keep === 'true' ? 'true' : 'false'}`);
  }
  return built;
}

/** Which lookup tables can be trusted right now (present and built from the current row count). */
export async function freshLookups(duck: DuckDBConnection): Promise<Set<string>> {
  const fresh = new Set<string>();
  const existing = new Set(
    (
      await queryRows(
        duck,
        `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, 'lookup_')`,
      )
    ).map((r) => String(r.table_name)),
  );
  if (!existing.has(LOOKUP_META)) return fresh;
  const sources = [...new Set(DERIVED.map((l) => l.source))];
  const rows = await queryRows(
    duck,
    `SELECT m.name, m.source_rows = c.n AS current FROM ${LOOKUP_META} m JOIN (${sources.map((s) => `SELECT '${s}' AS source, count(*) AS n FROM ${s}`).join(' UNION ALL ')}) c ON c.source = m.source`,
  );
  for (const r of rows) if (r.current === true && existing.has(String(r.name))) fresh.add(String(r.name));
  return fresh;
}

/** One key condition: rows whose `key` column equals `value`. */
export interface KeyMatch {
  key: string;
  value: string;
}

/**
 * Rows of `source` matching any of `matches`, in one query: through the lookup tables when every key
 * has a fresh one (each `k = $value` reads one row group of its sorted table), else by a scan. The
 * fetch re-checks the keys themselves. `select` is the SELECT list over the source aliased `x`.
 */
export async function rowsByKeys(
  duck: DuckDBConnection,
  fresh: ReadonlySet<string>,
  source: string,
  matches: readonly KeyMatch[],
  select: string,
): Promise<Row[]> {
  if (matches.length === 0) return [];
  const params: SqlParams = {};
  const check = matches.map((m, i) => {
    params[`key${i}`] = m.value;
    return `x.${m.key} = $key${i}`;
  });
  const lookups = matches.map((m) => LOOKUPS.find((l) => l.source === source && l.key === m.key));
  if (lookups.every((l) => l !== undefined && fresh.has(l.name))) {
    const rids = lookups.map((l, i) => `SELECT rid FROM ${l!.name} WHERE k = $key${i}`).join(' UNION ALL ');
    return queryRows(
      duck,
      `SELECT ${select} FROM ${source} x WHERE x.rowid IN (${rids}) AND (${check.join(' OR ')})`,
      params,
    );
  }
  return queryRows(duck, `SELECT ${select} FROM ${source} x WHERE ${check.join(' OR ')}`, params);
}

/** rowsByKeys for one key. */
export async function rowsByKey(
  duck: DuckDBConnection,
  fresh: ReadonlySet<string>,
  source: string,
  key: string,
  value: string,
  select: string,
): Promise<Row[]> {
  return rowsByKeys(duck, fresh, source, [{ key, value }], select);
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
  // a semi-join on an unnested list fetches row by row; a literal IN list of more than one rowid scans
  return queryRows(
    duck,
    `SELECT ${select} FROM ${source} x WHERE x.rowid IN (SELECT unnest([${list}]::BIGINT[])) AND ${check}`,
    params,
  );
}
