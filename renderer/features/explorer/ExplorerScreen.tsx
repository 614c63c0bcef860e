import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SavedView, SearchItem } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { cellText, formatCount, formatPercent, formatTime, predictionText } from '../../format.ts';
import { useStore } from '../../store/index.ts';
import { isStarred } from '../../store/annotations-slice.ts';
import { shownError } from '../../store/errors.ts';
import {
  BOOLEAN_FACETS,
  DEFAULT_DEFINITION,
  LIST_FACETS,
  hasAnyFilter,
  type BooleanFacet,
  type ExplorerDefinition,
  type ListFacet,
  type SortKey,
} from '../../store/explorer-slice.ts';
import type { ShownError } from '../../store/types.ts';

const FACET_LABEL: Record<string, string> = {
  modelId: 'Model',
  modelVersion: 'Model version',
  riskTier: 'Risk tier',
  consequenceLevel: 'Consequence level',
  environment: 'Environment',
  decisionCategory: 'Category',
  reviewerId: 'Reviewer',
  eventType: 'Review events',
  humanReviewRequired: 'Review required',
  humanReviewed: 'Reviewed',
  humanOverride: 'Overridden',
};

/** Sortable columns and the search sort they stand for. */
const SORT_OF: Record<string, 'time' | 'confidence' | 'latency'> = {
  at: 'time',
  confidence: 'confidence',
  latencyMs: 'latency',
};

function yesNo(v: boolean | null) {
  return v === null ? '' : v ? 'yes' : 'no';
}

export function ExplorerScreen({ slug, query }: { slug: string; query: Record<string, string> }) {
  const explorer = useStore((s) => s.explorer);
  const openExplorer = useStore((s) => s.openExplorer);
  const changeExplorer = useStore((s) => s.changeExplorer);
  const clearFilters = useStore((s) => s.clearFilters);
  const fetchExplorerPage = useStore((s) => s.fetchExplorerPage);
  const openRecord = useStore((s) => s.openRecord);
  const byTarget = useStore((s) => s.annotations.byTarget);
  const toggleStar = useStore((s) => s.toggleStar);
  const d = explorer.definition;
  const [text, setText] = useState(d.text);

  // Drill-down links carry filters in the address (e.g. from an anomaly or an oversight table).
  const preset = useMemo(() => presetOf(query), [query]);
  useEffect(() => {
    openExplorer(slug, preset);
  }, [slug, preset, openExplorer]);
  // The box follows the definition when it changes from elsewhere (a saved view, clearing the filters).
  const [textFor, setTextFor] = useState(d.text);
  if (textFor !== d.text) {
    setTextFor(d.text);
    setText(d.text);
  }
  useEffect(() => {
    if (text === d.text) return;
    const t = setTimeout(() => changeExplorer({ text }), 300);
    return () => clearTimeout(t);
  }, [text, d.text, changeExplorer]);

  const allColumns = useMemo<Column<SearchItem>[]>(
    () => [
      {
        key: 'star',
        label: '★',
        width: 40,
        align: 'center',
        title: 'Starred or annotated',
        render: (r) => {
          const target = r.decisionId ? `decision:${r.decisionId}` : undefined;
          const notes = target ? byTarget[target] : undefined;
          return (
            <button
              type="button"
              className="link-button star-cell"
              tabIndex={-1}
              aria-label={isStarred(notes) ? 'Unstar' : 'Star'}
              onClick={(e) => {
                e.stopPropagation();
                if (target) void toggleStar(slug, target);
              }}
            >
              {isStarred(notes) ? '★' : notes && notes.length > 0 ? '✎' : '☆'}
            </button>
          );
        },
      },
      { key: 'decisionId', label: 'Decision', width: 130, render: (r) => <code>{r.decisionId}</code> },
      {
        key: 'at',
        label: 'Time (UTC)',
        width: 175,
        sortable: true,
        render: (r) => formatTime(r.at).replace(' UTC', ''),
      },
      { key: 'modelId', label: 'Model', width: 160 },
      { key: 'modelVersion', label: 'Version', width: 80 },
      { key: 'prediction', label: 'Prediction', width: 110, render: (r) => predictionText(r.prediction) },
      {
        key: 'confidence',
        label: 'Confidence',
        width: 100,
        align: 'right',
        sortable: true,
        render: (r) => formatPercent(r.confidence, 1),
      },
      {
        key: 'latencyMs',
        label: 'Latency ms',
        width: 100,
        align: 'right',
        sortable: true,
        render: (r) => cellText(r.latencyMs),
      },
      { key: 'riskTier', label: 'Risk', width: 80 },
      { key: 'consequenceLevel', label: 'Consequence', width: 110 },
      { key: 'environment', label: 'Environment', width: 110 },
      { key: 'decisionCategory', label: 'Category', width: 130 },
      { key: 'humanReviewRequired', label: 'Review req.', width: 95, render: (r) => yesNo(r.humanReviewRequired) },
      { key: 'humanReviewed', label: 'Reviewed', width: 85, render: (r) => yesNo(r.humanReviewed) },
      { key: 'humanOverride', label: 'Override', width: 80, render: (r) => yesNo(r.humanOverride) },
      { key: 'humanReviewerId', label: 'Reviewer', width: 90 },
      {
        key: 'affectedUserId',
        label: 'Affected user',
        width: 140,
        render: (r) => <code>{(r.affectedUserId ?? '').slice(0, 12)}</code>,
      },
      { key: 'traceId', label: 'Trace', width: 150, render: (r) => <code>{r.traceId}</code> },
      { key: 'taskId', label: 'Task', width: 140, render: (r) => <code>{r.taskId}</code> },
      {
        key: 'source',
        label: 'Source',
        width: 220,
        render: (r) => <code>{`${r.ref.sourceFile}:${r.ref.line ?? r.ref.row}`}</code>,
      },
      { key: 'integrity', label: 'Integrity', width: 110, render: (r) => <Verdict value={r.integrity.status} /> },
    ],
    [byTarget, slug, toggleStar],
  );
  const columns = allColumns.filter((c) => d.columns.includes(c.key));
  const sortKey = d.sort.replace(/^-/, '');
  const sortColumn = Object.entries(SORT_OF).find(([, s]) => s === sortKey)?.[0] ?? 'at';
  const sort = { key: sortColumn, dir: d.sort.startsWith('-') ? ('desc' as const) : ('asc' as const) };
  const onSort = (key: string) => {
    const s = SORT_OF[key];
    if (!s) return;
    const next: SortKey = sortKey === s && !d.sort.startsWith('-') ? (`-${s}` as SortKey) : s;
    changeExplorer({ sort: next });
  };
  const fetchPage = useCallback(
    (offset: number, limit: number) => fetchExplorerPage(offset, limit),
    [fetchExplorerPage],
  );
  const activate = (r: SearchItem) => {
    if (r.decisionId) void openRecord(slug, { target: `decision:${r.decisionId}` });
    else if (r.ref.sourceFile && r.ref.line !== null)
      void openRecord(slug, { file: r.ref.sourceFile, line: r.ref.line });
  };

  return (
    <div className="screen explorer" data-testid="explorer">
      <header className="screen-head">
        <h2>Explorer</h2>
        <p className="muted">
          Every decision in the case. Tick values on the left to filter, click a column title to sort, double-click a
          row or press Enter to open it.
        </p>
      </header>
      <div className="explorer-grid">
        <FacetPanel />
        <div className="explorer-main">
          <div className="toolbar">
            <label className="grow">
              <span className="sr-only">Search ids</span>
              <input
                type="search"
                value={text}
                onChange={(e) => setText(e.target.value)}
                placeholder="Search decision, trace, task or user id (prefix)"
                aria-label="Search decision, trace, task or user id"
              />
            </label>
            <label>
              From{' '}
              <input
                type="date"
                value={d.from?.slice(0, 10) ?? ''}
                onChange={(e) => changeExplorer({ from: e.target.value ? `${e.target.value}T00:00:00Z` : undefined })}
              />
            </label>
            <label>
              to{' '}
              <input
                type="date"
                value={d.to?.slice(0, 10) ?? ''}
                onChange={(e) => changeExplorer({ to: e.target.value ? `${e.target.value}T00:00:00Z` : undefined })}
                title="Up to the start of this day"
              />
            </label>
            <ColumnPicker all={allColumns.map((c) => ({ key: c.key, label: c.label === '★' ? 'Star' : c.label }))} />
            <SavedViews slug={slug} />
          </div>
          <div className="result-line" aria-live="polite">
            {explorer.total >= 0 ? (
              <>
                <strong data-testid="explorer-total">{formatCount(explorer.total)}</strong> decisions
              </>
            ) : explorer.status === 'failed' ? (
              <span>Could not count the decisions</span>
            ) : (
              <span className="muted" data-testid="explorer-counting">
                counting decisions…
              </span>
            )}
            {d.anomaly && (
              <span className="tag" title="Drill-down from the anomaly screen">
                flagged by {d.anomaly}
              </span>
            )}
            {hasAnyFilter(d) && (
              <button type="button" className="link-button" onClick={clearFilters}>
                Clear all filters
              </button>
            )}
            {explorer.ms !== undefined && (
              <span className="muted small" title="Time until the first rows arrived">
                {explorer.ms} ms
              </span>
            )}
            {explorer.facetStatus === 'loading' && explorer.status !== 'failed' && (
              <span className="muted small">updating the filter counts…</span>
            )}
          </div>
          <ErrorNote error={explorer.error} />
          <VirtualTable<SearchItem>
            label="Decisions"
            testId="explorer-table"
            columns={columns}
            rowCount={
              explorer.total >= 0 ? explorer.total : explorer.status === 'failed' ? 0 : explorer.provisionalRows
            }
            queryKey={`${slug}|${explorer.rowsKey}`}
            fetchPage={fetchPage}
            height={520}
            sort={sort}
            onSort={onSort}
            onActivate={activate}
            rowClass={(r) => (r.integrity.status === 'failed' ? 'flagged-row' : undefined)}
            empty={
              explorer.total < 0 && explorer.status !== 'failed' ? 'Searching…' : 'No decision matches these filters.'
            }
          />
        </div>
      </div>
    </div>
  );
}

function presetOf(query: Record<string, string>): Partial<ExplorerDefinition> | undefined {
  const keys = Object.keys(query);
  if (keys.length === 0) return undefined;
  const preset: Partial<ExplorerDefinition> = { lists: {}, flags: {} };
  for (const [k, v] of Object.entries(query)) {
    if ((LIST_FACETS as readonly string[]).includes(k)) preset.lists![k as ListFacet] = v.split(',').filter(Boolean);
    else if ((BOOLEAN_FACETS as readonly string[]).includes(k)) preset.flags![k as BooleanFacet] = v === 'true';
    else if (k === 'anomaly') preset.anomaly = v;
    else if (k === 'text') preset.text = v;
    else if (k === 'from' || k === 'to') preset[k] = v;
  }
  return preset;
}

function FacetPanel() {
  const explorer = useStore((s) => s.explorer);
  const toggleFacetValue = useStore((s) => s.toggleFacetValue);
  const setFlag = useStore((s) => s.setFlag);
  const d = explorer.definition;
  return (
    <aside className="facets" aria-label="Filters" aria-busy={explorer.facetStatus === 'loading'}>
      {BOOLEAN_FACETS.map((f) => {
        const counts = explorer.facets[f];
        const n = (v: boolean) => counts?.values.find((x) => x.value === v)?.count ?? 0;
        const current = d.flags[f];
        return (
          <fieldset key={f} className="facet">
            <legend>{FACET_LABEL[f]}</legend>
            {[true, false].map((v) => (
              <label key={String(v)} className="facet-value">
                <input
                  type="checkbox"
                  checked={current === v}
                  onChange={(e) => setFlag(f, e.target.checked ? v : undefined)}
                />
                <span>{v ? 'yes' : 'no'}</span>
                <span className="count">{formatCount(n(v))}</span>
              </label>
            ))}
          </fieldset>
        );
      })}
      {LIST_FACETS.map((f) => {
        const counts = explorer.facets[f];
        const selected = d.lists[f] ?? [];
        const values = counts?.values ?? [];
        // Ticked values stay visible even when the current selection counts none of them.
        const extra = selected.filter((v) => !values.some((x) => x.value === v)).map((v) => ({ value: v, count: 0 }));
        if (values.length === 0 && extra.length === 0) return null;
        return (
          <fieldset key={f} className="facet" data-facet={f}>
            <legend>{FACET_LABEL[f]}</legend>
            {[...values, ...extra].map((x) =>
              x.value === null || typeof x.value === 'boolean' ? (
                <div key={String(x.value)} className="facet-value muted">
                  <span />
                  <span>(none)</span>
                  <span className="count">{formatCount(x.count)}</span>
                </div>
              ) : (
                <label key={x.value} className="facet-value">
                  <input
                    type="checkbox"
                    checked={selected.includes(x.value)}
                    onChange={() => toggleFacetValue(f, x.value as string)}
                  />
                  <span>{x.value}</span>
                  <span className="count">{formatCount(x.count)}</span>
                </label>
              ),
            )}
            {counts && counts.others > 0 && (
              <div className="small muted">+ {formatCount(counts.others)} in other values</div>
            )}
          </fieldset>
        );
      })}
    </aside>
  );
}

function ColumnPicker({ all }: { all: { key: string; label: string }[] }) {
  const columns = useStore((s) => s.explorer.definition.columns);
  const changeExplorer = useStore((s) => s.changeExplorer);
  return (
    <details className="menu">
      <summary className="button">Columns ({columns.length})</summary>
      <div className="menu-body" role="group" aria-label="Columns shown">
        {all.map((c) => (
          <label key={c.key} className="block">
            <input
              type="checkbox"
              checked={columns.includes(c.key)}
              onChange={(e) =>
                changeExplorer({
                  columns: e.target.checked
                    ? all.map((x) => x.key).filter((k) => k === c.key || columns.includes(k))
                    : columns.filter((k) => k !== c.key),
                })
              }
            />{' '}
            {c.label}
          </label>
        ))}
        <button
          type="button"
          className="link-button"
          onClick={() => changeExplorer({ columns: DEFAULT_DEFINITION.columns })}
        >
          Default columns
        </button>
      </div>
    </details>
  );
}

function SavedViews({ slug }: { slug: string }) {
  const definition = useStore((s) => s.explorer.definition);
  const openExplorer = useStore((s) => s.openExplorer);
  const [views, setViews] = useState<SavedView[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState<ShownError | undefined>();
  const load = useCallback(() => {
    invoke('views.list', { case: slug }).then(setViews, (err: unknown) => setError(shownError(err)));
  }, [slug]);
  useEffect(load, [load]);
  const save = async () => {
    if (!name.trim()) return;
    try {
      await invoke('views.save', { case: slug, name: name.trim(), definition: definition as never });
      setName('');
      setError(undefined);
      load();
    } catch (err) {
      setError(shownError(err));
    }
  };
  return (
    <details className="menu">
      <summary className="button">Saved views ({views.length})</summary>
      <div className="menu-body wide">
        {views.length === 0 && (
          <p className="muted small">None yet: filter the table, then save it here under a name.</p>
        )}
        <ul className="plain">
          {views.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className="link-button"
                onClick={() =>
                  openExplorer(slug, { ...DEFAULT_DEFINITION, ...(v.definition as Partial<ExplorerDefinition>) })
                }
              >
                {v.name}
              </button>{' '}
              <span className="small muted">{formatTime(v.createdAt)}</span>{' '}
              <button
                type="button"
                className="link-button small"
                aria-label={`Delete the view ${v.name}`}
                onClick={() => void invoke('views.delete', { case: slug, id: v.id }).then(load)}
              >
                delete
              </button>
            </li>
          ))}
        </ul>
        <div className="row">
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Name this view"
            aria-label="View name"
          />
          <button type="button" className="button small primary" onClick={() => void save()} disabled={!name.trim()}>
            Save
          </button>
        </div>
        <ErrorNote error={error} />
      </div>
    </details>
  );
}
