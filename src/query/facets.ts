/**
 * Facet counts (Datasette-style) over decisions: for each facet column, how many of the selected
 * decisions have each value, in one scan with GROUPING SETS; and `eventType`, how many have a review
 * event of each type. The counts over the whole case are kept with the lookup tables (lookups.ts) so an
 * unfiltered search does not rescan ten million rows for them.
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';

export const FACETS = {
  modelId: 'model_id',
  modelVersion: 'model_version',
  riskTier: 'risk_tier',
  consequenceLevel: 'consequence_level',
  environment: 'environment',
  decisionCategory: 'decision_category',
  reviewerId: 'human_reviewer_id',
  humanReviewRequired: 'human_review_required',
  humanReviewed: 'human_reviewed',
  humanOverride: 'human_override',
} as const;
export type ColumnFacet = keyof typeof FACETS;
export type FacetName = ColumnFacet | 'eventType';
export const FACET_NAMES: readonly FacetName[] = [...(Object.keys(FACETS) as ColumnFacet[]), 'eventType'];

/** Whole-case counts kept by buildLookups: column facets, and the eventType facet. */
export const FACET_CACHE = 'lookup_facets';
export const EVENT_FACET_CACHE = 'lookup_facets_event_type';

/**
 * Per decision (by its rowid) which review event types its review events have, as bits, kept by
 * buildLookups: the eventType facet and filter then join integers instead of matching decision ids.
 */
export const REVIEW_TYPES_TABLE = 'lookup_decision_review_types';
export const REVIEW_TYPE_BITS: readonly (readonly [string, number])[] = [
  ['created', 1],
  ['assigned', 2],
  ['reviewed', 4],
  ['escalated', 8],
  ['resolved', 16],
];
const OTHER_TYPE_BIT = 32;

export function reviewTypesTableSql(): string {
  const bit = `CASE r.event_type ${REVIEW_TYPE_BITS.map(([t, b]) => `WHEN '${t}' THEN ${b}`).join(' ')} ELSE ${OTHER_TYPE_BIT} END`;
  return `SELECT d.rowid AS drid, bit_or(${bit})::UTINYINT AS types
    FROM ${KIND_TABLES.review} r JOIN ${KIND_TABLES.decision} d ON d.decision_id = r.decision_id
    GROUP BY d.rowid ORDER BY drid`;
}

/** The bits of review event types, or undefined when one of them is not a spec type. */
export function reviewTypeMask(types: readonly string[]): number | undefined {
  let mask = 0;
  for (const t of types) {
    const bit = REVIEW_TYPE_BITS.find(([name]) => name === t)?.[1];
    if (bit === undefined) return undefined;
    mask |= bit;
  }
  return mask;
}

/**
 * The eventType facet through REVIEW_TYPES_TABLE (spec types, then 'other'): the decisions are
 * selected first (their rowids), then their bits are read; joined the other way round, DuckDB scans
 * every decision to probe the bits.
 */
export function eventTypeFacetViaBitsSql(where: string): string {
  const names = [...REVIEW_TYPE_BITS.map(([t]) => t), 'other'];
  const bits = [...REVIEW_TYPE_BITS.map(([, b]) => b), OTHER_TYPE_BIT];
  const selected =
    where === 'true' ? '' : `WHERE t.drid IN (SELECT x.rowid FROM ${KIND_TABLES.decision} x WHERE ${where})`;
  return `SELECT 'eventType' AS facet, unnest([${names.map((n) => `'${n}'`).join(', ')}]) AS value,
      unnest([${bits.map((b) => `count(*) FILTER (WHERE t.types & ${b} <> 0)`).join(', ')}]) AS count
    FROM ${REVIEW_TYPES_TABLE} t ${selected}`;
}

/**
 * `(facet, value, count)` for every column facet over the decisions `x` that `where` selects, and the
 * number of them as facet TOTAL_FACET, in one scan.
 */
export function columnFacetsSql(where: string): string {
  const cols = Object.entries(FACETS);
  const select = cols.map(([, c]) => `x.${c}::VARCHAR AS ${c}, GROUPING(x.${c}) AS g_${c}`).join(', ');
  const sets = ['()', ...cols.map(([, c]) => `(x.${c})`)].join(', ');
  const pick = cols.map(([name, c]) => `WHEN g_${c} = 0 THEN '${name}'`).join(' ');
  const value = cols.map(([, c]) => `WHEN g_${c} = 0 THEN ${c}`).join(' ');
  return `SELECT CASE ${pick} ELSE '${TOTAL_FACET}' END AS facet, CASE ${value} END AS value, n AS count FROM (
    SELECT ${select}, count(*) AS n FROM ${KIND_TABLES.decision} x WHERE ${where} GROUP BY GROUPING SETS (${sets})
  )`;
}

/** The row of columnFacetsSql that counts all the selected decisions. */
export const TOTAL_FACET = '*total*';

/**
 * `(facet, value, count)` of the eventType facet without the lookup tables: decisions with a review
 * event of each type, among the decisions `where` selects (null: all review events' decisions).
 */
export function eventTypeFacetSql(where: string | null): string {
  const inSet =
    where === null ? '' : `WHERE r.decision_id IN (SELECT x.decision_id FROM ${KIND_TABLES.decision} x WHERE ${where})`;
  return `SELECT 'eventType' AS facet, r.event_type AS value, count(DISTINCT r.decision_id) AS count FROM ${KIND_TABLES.review} r ${inSet} GROUP BY r.event_type`;
}
