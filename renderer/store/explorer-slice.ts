import type { FacetCounts, SearchItem, SearchParams } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

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

export const DEFAULT_COLUMNS = [
  'star',
  'decisionId',
  'at',
  'modelId',
  'modelVersion',
  'prediction',
  'confidence',
  'riskTier',
  'humanReviewed',
  'humanOverride',
  'integrity',
];

export const DEFAULT_DEFINITION: ExplorerDefinition = {
  columns: DEFAULT_COLUMNS,
  sort: 'time',
  lists: {},
  flags: {},
  text: '',
};

export interface ExplorerState {
  slug?: string;
  definition: ExplorerDefinition;
  /** Bumped on every change of the query: the table drops its pages and starts at the top. */
  queryKey: string;
  status: LoadStatus;
  total: number;
  facets: Partial<Record<FacetName, FacetCounts>>;
  ms?: number;
  error?: ShownError;
}

export interface ExplorerSlice {
  explorer: ExplorerState;
  /** Opens the explorer on a case (keeps the definition when it is the same case). */
  openExplorer(slug: string, preset?: Partial<ExplorerDefinition>): void;
  changeExplorer(change: Partial<ExplorerDefinition>): void;
  toggleFacetValue(facet: ListFacet, value: string): void;
  setFlag(facet: BooleanFacet, value: boolean | undefined): void;
  clearFilters(): void;
  /** One page of rows for the table. */
  fetchExplorerPage(offset: number, limit: number): Promise<SearchItem[]>;
  refreshExplorer(): Promise<void>;
}

/** The search request a definition makes (without paging). */
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
  const p = searchParamsOf(d);
  return Object.keys(p).some((k) => k !== 'sort');
}

let keyCounter = 0;
const nextKey = () => `q${++keyCounter}`;

export const createExplorerSlice: SliceCreator<ExplorerSlice> = (set, get) => {
  const redefine = (definition: ExplorerDefinition) => {
    set({ explorer: { ...get().explorer, definition, queryKey: nextKey() } });
    void get().refreshExplorer();
  };
  return {
    explorer: { definition: DEFAULT_DEFINITION, queryKey: nextKey(), status: 'idle', total: 0, facets: {} },
    openExplorer(slug, preset) {
      const e = get().explorer;
      const base = e.slug === slug ? e.definition : DEFAULT_DEFINITION;
      const definition = preset ? { ...DEFAULT_DEFINITION, columns: base.columns, ...preset } : base;
      set({
        explorer: {
          ...e,
          slug,
          definition,
          queryKey: nextKey(),
          status: 'loading',
          facets: e.slug === slug ? e.facets : {},
        },
      });
      void get().refreshExplorer();
    },
    changeExplorer(change) {
      const d = { ...get().explorer.definition, ...change };
      // Columns alone change nothing about which rows show: no new query.
      if (Object.keys(change).every((k) => k === 'columns')) {
        set({ explorer: { ...get().explorer, definition: d } });
        return;
      }
      redefine(d);
    },
    toggleFacetValue(facet, value) {
      const d = get().explorer.definition;
      const current = d.lists[facet] ?? [];
      const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
      redefine({ ...d, lists: { ...d.lists, [facet]: next } });
    },
    setFlag(facet, value) {
      const d = get().explorer.definition;
      const flags = { ...d.flags };
      if (value === undefined) delete flags[facet];
      else flags[facet] = value;
      redefine({ ...d, flags });
    },
    clearFilters() {
      const d = get().explorer.definition;
      redefine({ ...DEFAULT_DEFINITION, columns: d.columns, sort: d.sort });
    },
    async fetchExplorerPage(offset, limit) {
      const { slug, definition } = get().explorer;
      if (!slug) return [];
      const r = await invoke('query.search', { case: slug, ...searchParamsOf(definition), offset, limit, facets: [] });
      return r.items;
    },
    async refreshExplorer() {
      const { slug, definition, queryKey } = get().explorer;
      if (!slug) return;
      set({ explorer: { ...get().explorer, status: 'loading' } });
      try {
        const r = await invoke('query.search', {
          case: slug,
          ...searchParamsOf(definition),
          limit: 1,
          offset: 0,
          facetSize: 12,
        });
        if (get().explorer.queryKey !== queryKey) return;
        set({
          explorer: {
            ...get().explorer,
            status: 'ready',
            total: r.total,
            facets: r.facets,
            ms: r.ms,
            error: undefined,
          },
        });
      } catch (err) {
        if (get().explorer.queryKey !== queryKey) return;
        set({ explorer: { ...get().explorer, status: 'failed', total: 0, error: shownError(err) } });
      }
    },
  };
};
