/**
 * Query `search`: decisions matching filters, paged and sorted, with Datasette-style facet counts over
 * the whole matching set. It serves the five investigation patterns: point lookup (decisionId /
 * traceId), a user's history (affectedUserId with a time range), a model investigation (modelId,
 * modelVersion), an anomaly investigation (`anomaly`: the decisions an anomaly filter flags) and
 * aggregate analysis (facets, and counts per hour / day / week).
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { anomalyFilter } from './anomalies/index.ts';
import { resolveParams } from './anomalies/run.ts';
import type { QueryContext } from './context.ts';
import { isoSql, numberParam, pageOf, queryRows, utcSql } from './db.ts';
import type { Json, Page, Row, SqlParams } from './db.ts';
import { decisionWhere, hasFilters, pickFilters } from './filters.ts';
import type { DecisionFilters } from './filters.ts';
import {
  EVENT_FACET_CACHE,
  FACET_CACHE,
  FACET_NAMES,
  REVIEW_TYPES_TABLE,
  TOTAL_FACET,
  columnFacetsSql,
  eventTypeFacetSql,
  eventTypeFacetViaBitsSql,
} from './facets.ts';
import type { FacetName } from './facets.ts';
import { refColumnsSql, refOf, worseStatus } from './integrity.ts';
import { rowsByRowid } from './lookups.ts';
import type { Integrity, IntegrityStatus, RowRef } from './integrity.ts';

export const SORTS = {
  time: 'x."timestamp"',
  confidence: 'x.confidence',
  latency: 'x.latency_ms',
} as const;
export type SearchSort = keyof typeof SORTS | `-${keyof typeof SORTS}`;

export interface SearchParams extends DecisionFilters, Page {
  /** Only the decisions this anomaly filter flags (its default parameters, or `anomalyParams`). */
  anomaly?: string;
  anomalyParams?: Record<string, unknown>;
  /** `time` (default), `confidence`, `latency`; a leading '-' sorts descending. Ties go by file and line. */
  sort?: SearchSort;
  /** Facets to count (default all); an empty list counts none. */
  facets?: FacetName[];
  /** Values listed per facet (default 20); the rest are summed in `others`. */
  facetSize?: number;
  /** Decisions counted per hour, day or week over the matching set. */
  histogram?: 'hour' | 'day' | 'week';
  /**
   * Item members to fetch (default all, in one statement). Given, the page is read in two steps: the page's
   * rowids in order (reading only the filter and sort columns), then the chosen members of those rows by rowid,
   * so wide columns are read for the rows shown only. `decisionId`, `ref` and `integrity` always come.
   */
  columns?: readonly string[];
  /** false: no items (for a request that only counts or facets). */
  items?: boolean;
  /** false: the total is not counted unless the facets count it anyway (`total` is then -1). */
  count?: boolean;
}

export interface SearchItem {
  decisionId: string | null;
  traceId: string | null;
  taskId: string | null;
  at: string | null;
  modelId: string | null;
  modelVersion: string | null;
  riskTier: string | null;
  consequenceLevel: string | null;
  environment: string | null;
  decisionCategory: string | null;
  prediction: Json;
  confidence: number | null;
  latencyMs: number | null;
  humanReviewRequired: boolean | null;
  humanReviewed: boolean | null;
  humanOverride: boolean | null;
  humanReviewerId: string | null;
  affectedUserId: string | null;
  ref: RowRef;
  integrity: Integrity;
}

export interface FacetCounts {
  values: { value: string | boolean | null; count: number }[];
  /** Matching decisions whose value is not among `values`. */
  others: number;
}

export interface SearchResult {
  total: number;
  offset: number;
  limit: number;
  sort: SearchSort;
  items: SearchItem[];
  facets: Partial<Record<FacetName, FacetCounts>>;
  histogram?: { bucket: 'hour' | 'day' | 'week'; counts: { at: string; count: number }[] };
  /** Integrity of the rows on this page. */
  integrity: { status: IntegrityStatus; runId: number | null; rows: number };
  /** Where facet counts came from: computed now, or the whole-case counts kept with the lookup tables. */
  facetSource: 'computed' | 'cached';
  ms: number;
}

const D = KIND_TABLES.decision;

const ITEM_SQL = `x.decision_id AS "decisionId", x.trace_id AS "traceId", x.task_id AS "taskId", ${isoSql('x."timestamp"')} AS "at",
  x.model_id AS "modelId", x.model_version AS "modelVersion", x.risk_tier AS "riskTier", x.consequence_level AS "consequenceLevel",
  x.environment AS "environment", x.decision_category AS "decisionCategory", x.prediction AS "prediction", x.confidence AS "confidence",
  x.latency_ms AS "latencyMs", x.human_review_required AS "humanReviewRequired", x.human_reviewed AS "humanReviewed",
  x.human_override AS "humanOverride", x.human_reviewer_id AS "humanReviewerId", x.affected_user_id AS "affectedUserId", ${refColumnsSql('x')}`;

const BOOLEAN_FACETS: ReadonlySet<FacetName> = new Set(['humanReviewRequired', 'humanReviewed', 'humanOverride']);

function parseSort(sort: string | undefined): { sort: SearchSort; sql: string } {
  const s = (sort ?? 'time') as SearchSort;
  const desc = s.startsWith('-');
  const key = (desc ? s.slice(1) : s) as keyof typeof SORTS;
  if (!Object.hasOwn(SORTS, key))
    throw new AuditWsError(
      'BAD_USAGE',
      `sort must be one of ${Object.keys(SORTS)
        .flatMap((k) => [k, `-${k}`])
        .join(', ')}, not "${s}"`,
    );
  const dir = desc ? 'DESC' : 'ASC';
  return { sort: s, sql: `${SORTS[key]} ${dir} NULLS LAST, x.source_file ${dir}, x.line ${dir}, x."row" ${dir}` };
}

export async function search(ctx: QueryContext, params: SearchParams = {}): Promise<SearchResult> {
  const started = performance.now();
  const { limit, offset } = pageOf(params);
  const { sort, sql: orderBy } = parseSort(params.sort);
  const facetSize = numberParam(params.facetSize ?? 20, 'facet size', 1, 1000, true);
  const facets = params.facets ?? [...FACET_NAMES];
  for (const f of facets)
    if (!FACET_NAMES.includes(f))
      throw new AuditWsError('BAD_USAGE', `unknown facet "${f}"; one of ${FACET_NAMES.join(', ')}`);
  const filters = pickFilters(params);
  const where = decisionWhere(filters, ctx.lookups);
  let whereSql = where.sql;
  const sqlParams: SqlParams = { ...where.params };
  if (params.anomaly !== undefined) {
    const filter = anomalyFilter(params.anomaly);
    if (filter.subject !== 'decision')
      throw new AuditWsError(
        'BAD_USAGE',
        `anomaly filter ${filter.id} flags ${filter.subject}s, not decisions; run it with audit-ws anomalies`,
      );
    // the filter's own parameters have names of their own; the search's filters are all prefixed f_
    const flagged = filter.flagged(ctx, resolveParams(filter, params.anomalyParams), {});
    Object.assign(sqlParams, flagged.params);
    whereSql = `(${whereSql}) AND x.rowid IN (SELECT rid FROM (${flagged.hits?.sql ?? flagged.sql}))`;
  }

  const filtered = hasFilters(filters) || params.anomaly !== undefined;
  const wantItems = params.items !== false;
  const rows = !wantItems
    ? []
    : params.columns !== undefined
      ? await pageByRowid(ctx, params.columns, whereSql, orderBy, sqlParams, limit, offset, sort)
      : await queryRows(
          ctx.duck,
          `SELECT ${ITEM_SQL} FROM ${D} x WHERE ${whereSql} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
          sqlParams,
          { prepared: true },
        );

  const facetResult: Partial<Record<FacetName, FacetCounts>> = {};
  let facetSource: SearchResult['facetSource'] = 'computed';
  const counts: Row[] = [];
  const wantColumns = facets.some((f) => f !== 'eventType');
  const wantEvents = facets.includes('eventType');
  const cached =
    !filtered && (!wantColumns || ctx.lookups.has(FACET_CACHE)) && (!wantEvents || ctx.lookups.has(EVENT_FACET_CACHE));
  if (cached) {
    facetSource = 'cached';
    if (wantColumns)
      counts.push(
        ...(await queryRows(ctx.duck, `SELECT facet, value, count FROM ${FACET_CACHE}`, {}, { prepared: true })),
      );
    if (wantEvents)
      counts.push(
        ...(await queryRows(ctx.duck, `SELECT facet, value, count FROM ${EVENT_FACET_CACHE}`, {}, { prepared: true })),
      );
  } else {
    if (wantColumns)
      counts.push(...(await queryRows(ctx.duck, columnFacetsSql(whereSql), sqlParams, { prepared: true })));
    if (wantEvents) {
      const viaBits = ctx.lookups.has(REVIEW_TYPES_TABLE);
      const sql = viaBits ? eventTypeFacetViaBitsSql(whereSql) : eventTypeFacetSql(filtered ? whereSql : null);
      const params = viaBits || filtered ? sqlParams : {};
      counts.push(...(await queryRows(ctx.duck, sql, params, { prepared: true })).filter((c) => Number(c.count) > 0));
    }
  }
  // the total: from the facet scan when there was one, else without counting when the first page is not full
  const counted = counts.find((c) => c.facet === TOTAL_FACET);
  const total = counted
    ? Number(counted.count)
    : wantItems && offset === 0 && rows.length < limit
      ? rows.length
      : params.count === false
        ? -1
        : Number(
            (
              await queryRows(ctx.duck, `SELECT count(*) AS n FROM ${D} x WHERE ${whereSql}`, sqlParams, {
                prepared: true,
              })
            )[0].n,
          );

  for (const f of facets) {
    const mine = counts
      .filter((c) => c.facet === f)
      .sort((a, b) => Number(b.count) - Number(a.count) || String(a.value).localeCompare(String(b.value)));
    const shown = mine.slice(0, facetSize);
    facetResult[f] = {
      values: shown.map((c) => ({
        value: BOOLEAN_FACETS.has(f) && c.value !== null ? c.value === 'true' : (c.value as string | null),
        count: Number(c.count),
      })),
      others: mine.slice(facetSize).reduce((a, c) => a + Number(c.count), 0),
    };
  }

  let histogram: SearchResult['histogram'];
  if (params.histogram !== undefined) {
    if (!['hour', 'day', 'week'].includes(params.histogram))
      throw new AuditWsError('BAD_USAGE', `histogram must be hour, day or week, not "${params.histogram}"`);
    const h = await queryRows(
      ctx.duck,
      `SELECT ${isoSql('b')} AS at, n FROM (SELECT date_trunc('${params.histogram}', ${utcSql('x."timestamp"')}) AS b, count(*) AS n FROM ${D} x WHERE ${whereSql} AND x."timestamp" IS NOT NULL GROUP BY 1) ORDER BY b`,
      sqlParams,
    );
    histogram = { bucket: params.histogram, counts: h.map((r) => ({ at: String(r.at), count: Number(r.n) })) };
  }

  let status: IntegrityStatus = 'passed';
  const items = rows.map((r) => {
    const ref = refOf('decisions', r);
    const integrity = ctx.integrity.of(ref);
    status = worseStatus(status, integrity.status);
    const item: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r))
      if (!k.startsWith('ref_'))
        item[k] = k === 'prediction' && typeof v === 'string' && /^[[{]/.test(v) ? safeParse(v) : v;
    return { ...(item as Omit<SearchItem, 'ref' | 'integrity'>), ref, integrity };
  });
  return {
    total: Number(total),
    offset,
    limit,
    sort,
    items,
    facets: facetResult,
    ...(histogram ? { histogram } : {}),
    integrity: { status, runId: ctx.integrity.runId, rows: items.length },
    facetSource,
    ms: Math.round(performance.now() - started),
  };
}

/** Item members and the SQL of each (ITEM_SQL member by member), for a page of chosen columns. */
const ITEM_COLUMNS: Record<string, string> = {
  decisionId: 'x.decision_id',
  traceId: 'x.trace_id',
  taskId: 'x.task_id',
  at: isoSql('x."timestamp"'),
  modelId: 'x.model_id',
  modelVersion: 'x.model_version',
  riskTier: 'x.risk_tier',
  consequenceLevel: 'x.consequence_level',
  environment: 'x.environment',
  decisionCategory: 'x.decision_category',
  prediction: 'x.prediction',
  confidence: 'x.confidence',
  latencyMs: 'x.latency_ms',
  humanReviewRequired: 'x.human_review_required',
  humanReviewed: 'x.human_reviewed',
  humanOverride: 'x.human_override',
  humanReviewerId: 'x.human_reviewer_id',
  affectedUserId: 'x.affected_user_id',
};

/** Pages at most this deep are found through their boundary value (see pageRowids). */
const BOUNDARY_MAX_ROWS = 10_000;

/**
 * The rowids of a page, in page order. Ordering ten million rows by confidence or latency with the tie-breaking
 * file, line and row columns costs most in carrying those columns through the sort; the page's last sort value
 * (its boundary) is found first from the sort column alone, and then only the rows up to it are put in full
 * order: the same rows in the same order, from a fraction of the data. Time is kept apart: decisions arrive
 * roughly in time order, and DuckDB skips whole row groups for it already.
 */
async function pageRowids(
  ctx: QueryContext,
  whereSql: string,
  orderBy: string,
  sqlParams: SqlParams,
  limit: number,
  offset: number,
  sort: SearchSort,
): Promise<number[]> {
  const desc = sort.startsWith('-');
  const key = (desc ? sort.slice(1) : sort) as keyof typeof SORTS;
  let where = whereSql;
  const params: SqlParams = { ...sqlParams };
  if (key !== 'time' && offset + limit <= BOUNDARY_MAX_ROWS) {
    const expr = SORTS[key];
    const boundary = await queryRows(
      ctx.duck,
      `SELECT ${expr} AS b FROM ${D} x WHERE ${whereSql} ORDER BY ${expr} ${desc ? 'DESC' : 'ASC'} NULLS LAST LIMIT 1 OFFSET ${offset + limit - 1}`,
      sqlParams,
      { prepared: true },
    );
    // No boundary: fewer matching rows than the page reaches. A NULL one: the page ends among the rows without
    // a value (sorted last), so every row may come before it.
    const b = boundary[0]?.b;
    if (typeof b === 'number') {
      where = `(${whereSql}) AND ${expr} ${desc ? '>=' : '<='} $page_boundary`;
      params.page_boundary = b;
    }
  }
  const ids = await queryRows(
    ctx.duck,
    `SELECT x.rowid AS rid FROM ${D} x WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
    params,
    { prepared: true },
  );
  return ids.map((r) => Number(r.rid));
}

/**
 * A page in two steps (see SearchParams.columns): the rowids in page order, then the chosen members of those
 * rows, fetched by rowid, and put back in page order.
 */
async function pageByRowid(
  ctx: QueryContext,
  columns: readonly string[],
  whereSql: string,
  orderBy: string,
  sqlParams: SqlParams,
  limit: number,
  offset: number,
  sort: SearchSort,
): Promise<Row[]> {
  for (const c of columns)
    if (!Object.hasOwn(ITEM_COLUMNS, c) && c !== 'ref' && c !== 'integrity')
      throw new AuditWsError('BAD_USAGE', `unknown column "${c}"; one of ${Object.keys(ITEM_COLUMNS).join(', ')}`);
  const rowids = await pageRowids(ctx, whereSql, orderBy, sqlParams, limit, offset, sort);
  const wanted = Object.entries(ITEM_COLUMNS).filter(([k]) => k === 'decisionId' || columns.includes(k));
  const select = `x.rowid AS "__rid", ${wanted.map(([k, sql]) => `${sql} AS "${k}"`).join(', ')}, ${refColumnsSql('x')}`;
  const fetched = await rowsByRowid(ctx.duck, D, rowids, select, 'true', {});
  const byRowid = new Map(fetched.map((r) => [Number(r.__rid), r]));
  return rowids.flatMap((id) => {
    const row = byRowid.get(id);
    if (!row) return [];
    const { __rid: _, ...rest } = row;
    return [rest];
  });
}

function safeParse(v: string): Json {
  try {
    return JSON.parse(v) as Json;
  } catch {
    return v;
  }
}
