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
import { ATTRIBUTE_MEMBERS, buildAttributeTables } from './attributes.ts';
import { RowIds } from './db.ts';
import type { Row, SqlParams } from './db.ts';
import {
  DECISION_FACTS,
  FACT_MODELS,
  FACT_VALUES,
  MAX_FACT_VALUES,
  factModelsSql,
  factValueCountSql,
  factValuesSql,
  factsSql,
} from './facts.ts';
import { keptSegmentTables } from './model-state.ts';
import {
  EVENT_FACET_CACHE,
  FACET_CACHE,
  REVIEW_TYPES_TABLE,
  columnFacetsSql,
  eventTypeFacetViaBitsSql,
  reviewTypesTableSql,
} from './facets.ts';

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

/**
 * Per decision (with a decisionId), sorted by that id: its rowid and the rowids of everything a timeline
 * shows with it: the review events of the decision or of its task, and its outcomes (linksSql). One read
 * of one row group instead of a lookup per kind.
 */
export const LINKS_TABLE = 'lookup_decision_links';

/** Older derived tables, dropped when the lookups are rebuilt. */
const RETIRED = ['lookup_decision_outcomes'];

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

/**
 * Every derived table and the evidence tables it is made from: the key tables, the review-type bits
 * per decision, the whole-case facet counts.
 */
const DERIVED: readonly { name: string; sources: readonly string[]; sql: string }[] = [
  ...LOOKUPS.map((l) => ({
    name: l.name,
    sources: [l.source],
    sql: `SELECT ${l.key} AS k${l.then ? `, ${l.then} AS t` : ''}, rowid AS rid FROM ${l.source} WHERE ${l.key} IS NOT NULL ORDER BY k${l.then ? ', t' : ''}`,
  })),
  { name: REVIEW_TYPES_TABLE, sources: [KIND_TABLES.decision, KIND_TABLES.review], sql: reviewTypesTableSql() },
  {
    name: LINKS_TABLE,
    sources: [KIND_TABLES.decision, KIND_TABLES.review, KIND_TABLES.outcome],
    sql: linksSql(),
  },
  ...keptSegmentTables().map((t) => ({ ...t, sources: [KIND_TABLES.lifecycle] })),
  { name: FACET_CACHE, sources: [KIND_TABLES.decision], sql: columnFacetsSql('true') },
  {
    name: EVENT_FACET_CACHE,
    sources: [KIND_TABLES.decision, KIND_TABLES.review],
    // made after REVIEW_TYPES_TABLE, from it
    sql: `SELECT * FROM (${eventTypeFacetViaBitsSql('true')}) WHERE count > 0`,
  },
];

/**
 * The per-decision facts fairness counts (facts.ts), with their two dictionaries; built only when the
 * predictions, human decisions and outcomes take at most MAX_FACT_VALUES distinct values.
 */
const FACTS: readonly { name: string; sources: readonly string[]; sql: string }[] = [
  { name: FACT_VALUES, sources: [KIND_TABLES.decision, KIND_TABLES.outcome], sql: factValuesSql() },
  { name: FACT_MODELS, sources: [KIND_TABLES.decision], sql: factModelsSql() },
  { name: DECISION_FACTS, sources: [KIND_TABLES.decision, KIND_TABLES.outcome], sql: factsSql() },
];

const ALL_SOURCES = [...new Set([...DERIVED, ...FACTS].flatMap((d) => d.sources))];

/**
 * The rowids a timeline needs beside each decision (see LINKS_TABLE), in key order: one row per decision
 * (`kind` 0, `lrid` its own rowid), per review event of it or of its task (1) and per outcome (2). Rows,
 * not lists: DuckDB can spill the joins and the sort to disk, so ten million decisions build within the
 * default memory limit. A review event that names both the decision and its task appears twice.
 */
function linksSql(): string {
  const D = KIND_TABLES.decision;
  const R = KIND_TABLES.review;
  const O = KIND_TABLES.outcome;
  return `WITH d AS (SELECT rowid AS rid, decision_id, task_id FROM ${D} WHERE decision_id IS NOT NULL)
    SELECT decision_id AS k, rid, 0::UTINYINT AS kind, rid AS lrid FROM d
    UNION ALL SELECT d.decision_id, d.rid, 1::UTINYINT, r.rowid FROM d JOIN ${R} r ON r.decision_id = d.decision_id
    UNION ALL SELECT d.decision_id, d.rid, 1::UTINYINT, r.rowid FROM d JOIN ${R} r ON r.task_id = d.task_id
    UNION ALL SELECT d.decision_id, d.rid, 2::UTINYINT, o.rowid FROM d JOIN ${O} o ON o.decision_id = d.decision_id
    ORDER BY k`;
}

/**
 * (Re)builds every lookup table from the evidence tables, in one transaction. Call it on a case open
 * for writing after an import has committed; at 10M decisions it takes seconds, not minutes.
 */
export async function buildLookups(
  duck: DuckDBConnection,
  options: { maxFactValues?: number } = {},
): Promise<{ name: string; rows: number; ms: number }[]> {
  const built: { name: string; rows: number; ms: number }[] = [];
  // the tables must be stored in key order for their min/max statistics to prune; the case connection
  // runs with preserve_insertion_order off (store.ts), which lets a parallel ORDER BY store out of order
  const [{ keep, limit }] = await queryRows(
    duck,
    `SELECT current_setting('preserve_insertion_order') AS keep, current_setting('memory_limit') AS limit`,
  );
  await duck.run('SET preserve_insertion_order = true');
  // The sorts here overrun memory_limit by about half: at 10M decisions the process peaked at 2.03 GB with
  // 1 GB (1.56 GB on a case that still held `raw`). Three quarters of it: 1.18 GB there, and no slower.
  await duck.run(`SET memory_limit = '${Math.round(parseByteSize(String(limit)) * 0.75)}B'`);
  await duck.run('BEGIN TRANSACTION');
  try {
    await duck.run(
      `CREATE OR REPLACE TABLE ${LOOKUP_META} (name VARCHAR PRIMARY KEY, source_rows JSON, built_at TIMESTAMPTZ)`,
    );
    const sourceRows = await rowCounts(duck, ALL_SOURCES);
    for (const l of DERIVED) {
      const started = performance.now();
      await make(duck, l.name, l.sql);
      const rows = Object.fromEntries(l.sources.map((src) => [src, sourceRows.get(src) ?? 0]));
      await duck.run(`INSERT INTO ${LOOKUP_META} VALUES ($name, $rows, now())`, {
        name: l.name,
        rows: JSON.stringify(rows),
      });
      const [{ k }] = await queryRows(duck, `SELECT count(*) AS k FROM ${l.name}`);
      built.push({ name: l.name, rows: Number(k), ms: Math.round(performance.now() - started) });
    }
    for (const name of RETIRED) await duck.run(`DROP TABLE IF EXISTS ${name}`);
    const factsStarted = performance.now();
    const [{ values }] = await queryRows(duck, factValueCountSql());
    if (Number(values) <= (options.maxFactValues ?? MAX_FACT_VALUES)) {
      for (const l of FACTS) {
        await make(duck, l.name, l.sql);
        const rows = Object.fromEntries(l.sources.map((src) => [src, sourceRows.get(src) ?? 0]));
        await duck.run(`INSERT INTO ${LOOKUP_META} VALUES ($name, $rows, now())`, {
          name: l.name,
          rows: JSON.stringify(rows),
        });
      }
      const [{ k }] = await queryRows(duck, `SELECT count(*) AS k FROM ${DECISION_FACTS}`);
      built.push({ name: DECISION_FACTS, rows: Number(k), ms: Math.round(performance.now() - factsStarted) });
    } else {
      // too many distinct values to code: fairness compares the text itself
      for (const l of FACTS) await duck.run(`DROP TABLE IF EXISTS ${l.name}`);
    }
    const started = performance.now();
    const attributeTables = await buildAttributeTables(duck);
    for (const name of [ATTRIBUTE_MEMBERS, ...attributeTables]) {
      const rows = { [KIND_TABLES.decision]: sourceRows.get(KIND_TABLES.decision) ?? 0 };
      await duck.run(`INSERT INTO ${LOOKUP_META} VALUES ($name, $rows, now())`, { name, rows: JSON.stringify(rows) });
    }
    built.push({ name: ATTRIBUTE_MEMBERS, rows: attributeTables.length, ms: Math.round(performance.now() - started) });
    await duck.run('COMMIT');
  } catch (err) {
    await duck.run('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await duck.run(`SET preserve_insertion_order = ${keep === true || keep === 'true' ? 'true' : 'false'}`);
    // What current_setting printed is cut to one decimal: the middle of what it stands for prints the same.
    await duck.run(`SET memory_limit = '${Math.round(parseByteSize(String(limit), true))}B'`);
  }
  return built;
}

/**
 * Bytes in a DuckDB size setting as current_setting prints it ("953.6 MiB", "1.0 GiB", "1000000000 bytes").
 * `middle`: the middle of the range the printed figure was cut from (953.6 MiB stands for 953.6 to 953.7).
 */
export function parseByteSize(text: string, middle = false): number {
  const m = /^\s*([\d.]+)\s*([KMGT]?i?B|bytes)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const unit = (m[2] ?? 'B').toUpperCase();
  const base = unit.includes('I') ? 1024 : 1000;
  const power =
    { B: 0, BYTES: 0, K: 1, M: 2, G: 3, T: 4 }[unit === 'BYTES' ? 'BYTES' : unit[0] === 'B' ? 'B' : unit[0]] ?? 0;
  const decimals = m[1].includes('.') ? m[1].length - m[1].indexOf('.') - 1 : 0;
  const half = middle && power > 0 ? 0.5 * 10 ** -decimals : 0;
  return (Number(m[1]) + half) * base ** power;
}

/** Makes one derived table; an error names the table it was making. */
async function make(duck: DuckDBConnection, name: string, sql: string): Promise<void> {
  try {
    await duck.run(`CREATE OR REPLACE TABLE ${name} AS ${sql}`);
  } catch (err) {
    throw new Error(`building the lookup table ${name}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Which lookup tables can be trusted right now (present, and built from the evidence tables' current row counts). */
export async function freshLookups(duck: DuckDBConnection): Promise<Set<string>> {
  const fresh = new Set<string>();
  const tables = await queryRows(
    duck,
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, 'lookup_')`,
    {},
    { prepared: true },
  );
  const existing = new Set(tables.map((r) => String(r.table_name)));
  if (!existing.has(LOOKUP_META)) return fresh;
  const current = await rowCounts(duck, ALL_SOURCES);
  const rows = await queryRows(
    duck,
    `SELECT name, source_rows::VARCHAR AS source_rows FROM ${LOOKUP_META}`,
    {},
    { prepared: true },
  );
  for (const r of rows) {
    let built: Record<string, number>;
    try {
      built = JSON.parse(String(r.source_rows)) as Record<string, number>;
    } catch {
      // a meta table of an older layout: rebuild to use the tables
      continue;
    }
    if (typeof built !== 'object' || built === null || Object.keys(built).length === 0) continue;
    const name = String(r.name);
    if (existing.has(name) && Object.entries(built).every(([src, n]) => current.get(src) === n)) fresh.add(name);
  }
  return fresh;
}

/** Row counts of evidence tables (DuckDB answers these from its row group counts). */
async function rowCounts(duck: DuckDBConnection, tables: readonly string[]): Promise<Map<string, number>> {
  const sql = tables.map((t) => `SELECT '${t}' AS source, count(*) AS n FROM ${t}`).join(' UNION ALL ');
  const rows = await queryRows(duck, sql, {}, { prepared: true });
  return new Map(rows.map((r) => [String(r.source), Number(r.n)]));
}

/** One key condition: rows whose `key` column equals `value`. */
export interface KeyMatch {
  key: string;
  value: string;
}

/**
 * Rows of `source` matching any of `matches`: through the lookup tables when every key has a fresh
 * one (each `k = $value` reads one row group of its sorted table, then the rows are fetched by rowid,
 * re-checking the keys), else by a scan. `select` is the SELECT list over the source aliased `x`.
 * Two statements rather than a semi-join: a semi-join that finds no rowid makes DuckDB scan.
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
    const ridSql = lookups.map((l, i) => `SELECT rid FROM ${l!.name} WHERE k = $key${i}`).join(' UNION ');
    const rids = await queryRows(duck, ridSql, params, { prepared: true });
    if (rids.length === 0) return [];
    return rowsByRowid(
      duck,
      source,
      rids.map((r) => Number(r.rid)),
      select,
      `(${check.join(' OR ')})`,
      params,
    );
  }
  return queryRows(duck, `SELECT ${select} FROM ${source} x WHERE ${check.join(' OR ')}`, params, { prepared: true });
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

/** Rows of `source` by rowid (read back from DuckDB), with a re-check condition over `x`. */
export async function rowsByRowid(
  duck: DuckDBConnection,
  source: string,
  rowids: readonly number[],
  select: string,
  check: string,
  params: SqlParams,
): Promise<Row[]> {
  if (rowids.length === 0) return [];
  // a semi-join on the unnested list fetches row by row; a literal IN list of several rowids scans
  return queryRows(
    duck,
    `SELECT ${select} FROM ${source} x WHERE x.rowid IN (SELECT unnest($rowids)) AND ${check}`,
    { ...params, rowids: new RowIds(rowids) },
    { prepared: true },
  );
}
