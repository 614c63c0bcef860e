// The explorer's requests, as plain functions of what the investigator chose, so the UI (store/explorer-slice.ts)
// and the benchmark through the browser-mode server (bench/ui-explorer.ts) make exactly the same calls.
//
// At ten million decisions one request that returned rows, total and facets together would take seconds, so the
// explorer asks in three steps, each sent only when the previous one answered and the question is still current:
//   1. the rows on screen: a page of the visible columns only, not counted, no facets (`pageParams`);
//   2. the number of matching decisions, when the page was full and a filter is set (`countParams`);
//   3. the facet counts (`facetParams`), which also give the total; without a filter they are read from the
//      whole-case counts kept with the lookup tables.
// A new sort needs step 1 only; a new column set refetches the rows on screen only. Steps 2 and 3 run on a
// connection of their own in the core (src/contract/scan-lane.ts), so the rows of a new question never wait
// behind them, and a newer step of the same screen stops a stale one still running.
import type { SearchParams } from '../../../src/contract/types.ts';

export type FacetName = NonNullable<SearchParams['facets']>[number];
export type SortKey = NonNullable<SearchParams['sort']>;

/** Filters that take a list of values (ticked in the facet panel), and those that take yes/no. */
export const LIST_FACETS = [
  'modelId',
  'modelVersion',
  'riskTier',
  'consequenceLevel',
  'environment',
  'decisionCategory',
  'reviewerId',
  'eventType',
] as const;
export const BOOLEAN_FACETS = ['humanReviewRequired', 'humanReviewed', 'humanOverride'] as const;
export type ListFacet = (typeof LIST_FACETS)[number];
export type BooleanFacet = (typeof BOOLEAN_FACETS)[number];

/** What a saved view holds: everything that decides which rows show and how. */
export interface ExplorerDefinition {
  columns: string[];
  sort: SortKey;
  lists: Partial<Record<ListFacet, string[]>>;
  flags: Partial<Record<BooleanFacet, boolean>>;
  text: string;
  from?: string;
  to?: string;
  anomaly?: string;
}

/** Rows per page request (the table draws only the rows in view). */
export const PAGE_SIZE = 100;
/** Values listed per facet in the panel. */
export const FACET_SIZE = 12;

/** The filters and sort of a definition, as search parameters (without paging). */
export function searchParamsOf(d: ExplorerDefinition): SearchParams {
  const p: SearchParams = { sort: d.sort };
  for (const [k, v] of Object.entries(d.lists)) if (v && v.length > 0) (p as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(d.flags)) if (typeof v === 'boolean') (p as Record<string, unknown>)[k] = v;
  if (d.text.trim()) p.text = d.text.trim();
  if (d.from) p.from = d.from;
  if (d.to) p.to = d.to;
  if (d.anomaly) p.anomaly = d.anomaly;
  return p;
}

export function hasAnyFilter(d: ExplorerDefinition): boolean {
  return Object.keys(searchParamsOf(d)).some((k) => k !== 'sort');
}

/**
 * Table columns and the item members each needs from the core (the star needs only the decision id, which
 * always comes; `source` and `integrity` come with every row's reference).
 */
const MEMBERS_OF_COLUMN: Record<string, string[]> = {
  star: [],
  source: [],
  integrity: [],
};

/** The item members the visible columns need. */
export function membersFor(columns: readonly string[]): string[] {
  return [...new Set(columns.flatMap((c) => MEMBERS_OF_COLUMN[c] ?? [c]))].sort();
}

/** Step 1: a page of rows, the visible columns only, neither counted nor faceted. */
export function pageParams(
  slug: string,
  d: ExplorerDefinition,
  offset: number,
  limit = PAGE_SIZE,
): { case: string } & SearchParams {
  return {
    case: slug,
    ...searchParamsOf(d),
    offset,
    limit,
    columns: membersFor(d.columns),
    facets: [],
    count: false,
  };
}

/**
 * Step 2: the number of matching decisions, no rows, no facets. `asker` names the screen (one key per explorer):
 * the core runs counts beside the rows, and a newer count or facet request of the same screen stops this one.
 */
export function countParams(
  slug: string,
  d: ExplorerDefinition,
  asker?: string,
): { case: string; supersede?: string } & SearchParams {
  return { case: slug, ...searchParamsOf(d), items: false, facets: [], ...(asker ? { supersede: asker } : {}) };
}

/** Step 3: the facet counts (and the total with them), no rows; `asker` as for countParams. */
export function facetParams(
  slug: string,
  d: ExplorerDefinition,
  asker?: string,
): { case: string; supersede?: string } & SearchParams {
  return {
    case: slug,
    ...searchParamsOf(d),
    items: false,
    facetSize: FACET_SIZE,
    ...(asker ? { supersede: asker } : {}),
  };
}

/** Whether step 2 is worth a request: the first page tells the total itself when it is not full. */
export function needsCount(d: ExplorerDefinition, firstPageRows: number, limit = PAGE_SIZE): boolean {
  return firstPageRows >= limit && hasAnyFilter(d);
}
