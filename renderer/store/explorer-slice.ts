import type { FacetCounts, SearchItem } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import {
  PAGE_SIZE,
  countParams,
  facetParams,
  membersFor,
  needsCount,
  pageParams,
  type ExplorerDefinition,
  type FacetName,
  type ListFacet,
  type BooleanFacet,
} from '../features/explorer/requests.ts';
import { shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

// The requests themselves (and why they come in three steps) are in features/explorer/requests.ts.
export {
  BOOLEAN_FACETS,
  LIST_FACETS,
  hasAnyFilter,
  searchParamsOf,
  type BooleanFacet,
  type ExplorerDefinition,
  type FacetName,
  type ListFacet,
  type SortKey,
} from '../features/explorer/requests.ts';

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
  /** Bumped when which decisions match changes (filters): the count and the facets are asked again. */
  queryKey: string;
  /** Bumped when the rows shown change (filters, sort, columns): the table drops its pages and returns to the top. */
  rowsKey: string;
  /** 'ready' once the total is known; the rows may show before that. */
  status: LoadStatus;
  /** Matching decisions; -1 while they are being counted. */
  total: number;
  /** Rows known to exist while the total is counted: the first page's. */
  provisionalRows: number;
  facets: Partial<Record<FacetName, FacetCounts>>;
  facetStatus: LoadStatus;
  /** How long the first page of the current rows took, in ms, as the investigator waited for it. */
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
  /** One page of rows for the table (the first page of the current rows is shared with the count's steps). */
  fetchExplorerPage(offset: number, limit: number): Promise<SearchItem[]>;
  refreshExplorer(): Promise<void>;
}

let keyCounter = 0;
const nextKey = () => `q${++keyCounter}`;

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export const createExplorerSlice: SliceCreator<ExplorerSlice> = (set, get) => {
  /** This explorer's key: its newer counts stop its stale ones in the core. */
  const asker = `explorer-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  /** The first page of the current rows: asked once, by the count's steps or by the table, whichever is first. */
  let firstPage: { key: string; rows: Promise<SearchItem[]> } | undefined;
  const firstPageOf = (rowsKey: string, slug: string, d: ExplorerDefinition): Promise<SearchItem[]> => {
    if (firstPage?.key !== rowsKey) {
      const started = now();
      const rows = invoke('query.search', pageParams(slug, d, 0)).then((r) => {
        if (get().explorer.rowsKey === rowsKey)
          set({ explorer: { ...get().explorer, ms: Math.round(now() - started) } });
        return r.items;
      });
      firstPage = { key: rowsKey, rows };
    }
    return firstPage.rows;
  };

  /** New rows (sort, columns) over the same matching decisions: total and facets stay. */
  const reorder = (definition: ExplorerDefinition) => {
    set({ explorer: { ...get().explorer, definition, rowsKey: nextKey(), ms: undefined } });
  };
  /** New matching decisions (filters): rows, count and facets are asked again. */
  const redefine = (definition: ExplorerDefinition) => {
    set({ explorer: { ...get().explorer, definition, queryKey: nextKey(), rowsKey: nextKey(), ms: undefined } });
    void get().refreshExplorer();
  };

  return {
    explorer: {
      definition: DEFAULT_DEFINITION,
      queryKey: nextKey(),
      rowsKey: nextKey(),
      status: 'idle',
      total: -1,
      provisionalRows: 0,
      facets: {},
      facetStatus: 'idle',
    },
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
          rowsKey: nextKey(),
          status: 'loading',
          facets: e.slug === slug ? e.facets : {},
          ms: undefined,
        },
      });
      void get().refreshExplorer();
    },
    changeExplorer(change) {
      const d = { ...get().explorer.definition, ...change };
      const keys = Object.keys(change);
      if (keys.every((k) => k === 'columns')) {
        // Columns change nothing about which decisions match; rows are fetched again only when the members they
        // need change (a column added; one taken away is simply not drawn).
        const before = membersFor(get().explorer.definition.columns);
        const after = membersFor(d.columns);
        if (after.every((m) => before.includes(m))) set({ explorer: { ...get().explorer, definition: d } });
        else reorder(d);
        return;
      }
      if (keys.every((k) => k === 'columns' || k === 'sort')) {
        reorder(d);
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
      const { slug, definition, rowsKey } = get().explorer;
      if (!slug) return [];
      if (offset === 0 && limit === PAGE_SIZE) return firstPageOf(rowsKey, slug, definition);
      const r = await invoke('query.search', pageParams(slug, definition, offset, limit));
      return r.items;
    },
    async refreshExplorer() {
      const { slug, definition, queryKey, rowsKey } = get().explorer;
      if (!slug) return;
      const current = () => get().explorer.queryKey === queryKey;
      const update = (change: Partial<ExplorerState>) => {
        if (current()) set({ explorer: { ...get().explorer, ...change } });
      };
      update({ status: 'loading', facetStatus: 'loading', total: -1, provisionalRows: PAGE_SIZE, error: undefined });
      try {
        // 1. The rows on screen first: the table shows them while the rest is counted.
        const rows = await firstPageOf(rowsKey, slug, definition);
        if (!current()) return;
        if (rows.length < PAGE_SIZE) update({ total: rows.length, provisionalRows: rows.length, status: 'ready' });
        else {
          update({ provisionalRows: rows.length });
          // 2. The number of matching decisions (a filtered count; without a filter the facets bring it at once).
          if (needsCount(definition, rows.length)) {
            const counted = await invoke('query.search', countParams(slug, definition, asker));
            if (!current()) return;
            update({ total: counted.total, status: 'ready' });
          }
        }
      } catch (err) {
        update({ status: 'failed', facetStatus: 'idle', total: 0, provisionalRows: 0, error: shownError(err) });
        return;
      }
      try {
        // 3. The facet counts, last: the slowest step, and the one a new filter most often makes stale.
        const r = await invoke('query.search', facetParams(slug, definition, asker));
        update({ total: r.total, status: 'ready', facets: r.facets, facetStatus: 'ready' });
      } catch (err) {
        // The rows stay; without a total the result line says the count failed, with the reason below it.
        const counted = get().explorer.total >= 0;
        update({ facetStatus: 'failed', error: shownError(err), ...(counted ? {} : { status: 'failed' as const }) });
      }
    },
  };
};
