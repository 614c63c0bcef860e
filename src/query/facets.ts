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

/** `(facet, value, count)` for every column facet over the decisions `x` that `where` selects. */
export function columnFacetsSql(where: string): string {
  const cols = Object.entries(FACETS);
  const select = cols.map(([, c]) => `x.${c}::VARCHAR AS ${c}, GROUPING(x.${c}) AS g_${c}`).join(', ');
  const sets = cols.map(([, c]) => `(x.${c})`).join(', ');
  const pick = cols.map(([name, c]) => `WHEN g_${c} = 0 THEN '${name}'`).join(' ');
  const value = cols.map(([, c]) => `WHEN g_${c} = 0 THEN ${c}`).join(' ');
  return `SELECT CASE ${pick} END AS facet, CASE ${value} END AS value, n AS count FROM (
    SELECT ${select}, count(*) AS n FROM ${KIND_TABLES.decision} x WHERE ${where} GROUP BY GROUPING SETS (${sets})
  )`;
}

/**
 * `(facet, value, count)` of the eventType facet: decisions with a review event of each type, among the
 * decisions `where` selects (null: all review events' decisions).
 */
export function eventTypeFacetSql(where: string | null): string {
  const inSet =
    where === null ? '' : `WHERE r.decision_id IN (SELECT x.decision_id FROM ${KIND_TABLES.decision} x WHERE ${where})`;
  return `SELECT 'eventType' AS facet, r.event_type AS value, count(DISTINCT r.decision_id) AS count FROM ${KIND_TABLES.review} r ${inSet} GROUP BY r.event_type`;
}
