import { useState } from 'react';
import type { AnomalyFilterInfo, AnomalyItem, AnomalyResult } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { LinkButton } from '../../components/LinkButton.tsx';
import { useRequest } from '../../components/useRequest.ts';
import { Pager } from '../../components/Pager.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { cellText, formatCount } from '../../format.ts';
import { caseRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { shownError } from '../../store/errors.ts';
import type { RecordLocator } from '../../store/record-slice.ts';
import type { ShownError } from '../../store/types.ts';

const PAGE = 20;
const SUBJECT: Record<string, string> = {
  decision: 'decisions',
  review: 'reviews',
  'decision-or-review': 'decisions or reviews',
  hour: 'hours',
};

function locatorOf(item: AnomalyItem): RecordLocator | undefined {
  const r = item.ref;
  if (!r) return undefined;
  if (r.sourceFile && r.line !== null) return { file: r.sourceFile, line: r.line };
  if (r.sourceFile && r.row !== null) return { file: r.sourceFile, row: r.row };
  if (r.stream !== null && r.seq !== null) return { stream: r.stream, seq: r.seq };
  return undefined;
}

/** Every anomaly filter with its count at its parameters; each drills down to its hits or to the explorer. */
export function AnomaliesScreen({ slug }: { slug: string }) {
  // Every filter at its defaults when the screen opens; then each filter again when its parameters or page change.
  const initial = useRequest(slug, () => invoke('query.anomalies', { case: slug, limit: PAGE }));
  const filters: AnomalyFilterInfo[] = initial.data?.filters ?? [];
  const [rerun, setRerun] = useState<{ slug: string; results: Record<string, AnomalyResult> }>({ slug, results: {} });
  if (rerun.slug !== slug) setRerun({ slug, results: {} });
  const results: Record<string, AnomalyResult> = {
    ...Object.fromEntries((initial.data?.results ?? []).map((r) => [r.id, r])),
    ...rerun.results,
  };
  const [params, setParams] = useState<Record<string, Record<string, string>>>({});
  const [open, setOpen] = useState<string | undefined>();
  const [loading, setLoading] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<ShownError | undefined>();

  const run = async (id: string, offset = 0) => {
    setLoading((l) => ({ ...l, [id]: true }));
    try {
      const given = Object.fromEntries(Object.entries(params[id] ?? {}).filter(([, v]) => v !== ''));
      const r = await invoke('query.anomalies', {
        case: slug,
        only: [id],
        ...(Object.keys(given).length ? { params: { [id]: given } } : {}),
        limit: PAGE,
        offset,
      });
      setRerun((old) => ({
        slug,
        results: { ...old.results, ...Object.fromEntries(r.results.map((x) => [x.id, x])) },
      }));
      setError(undefined);
    } catch (err) {
      setError(shownError(err));
    } finally {
      setLoading((l) => ({ ...l, [id]: false }));
    }
  };

  return (
    <div className="screen" data-testid="anomalies-screen">
      <header className="screen-head">
        <h2>Anomalies</h2>
        <p className="muted">
          Each filter flags what deserves a second look, explained in one sentence. Counts are at the parameters shown;
          change them and apply. Open a filter to see its hits, or send them to the explorer.
        </p>
      </header>
      <ErrorNote error={error ?? initial.error} />
      {initial.loading && !initial.data && <p role="status">Running the filters…</p>}
      {filters.map((f) => {
        const r = results[f.id];
        const expanded = open === f.id;
        return (
          <section key={f.id} className={`card anomaly${r && r.total > 0 ? ' has-hits' : ''}`} data-anomaly={f.id}>
            <div className="anomaly-head">
              <div>
                <h3>{f.title}</h3>
                <p className="small">{f.explanation}</p>
              </div>
              <div className="anomaly-count">
                <span className="big" data-testid={`anomaly-count-${f.id}`}>
                  {r ? formatCount(r.total) : '…'}
                </span>
                <span className="small muted">{SUBJECT[f.subject] ?? f.subject}</span>
                {r && r.total > 0 && <Verdict value={r.integrity.status} title="integrity of the flagged records" />}
              </div>
            </div>
            <div className="row">
              <button
                type="button"
                className="button small"
                aria-expanded={expanded}
                onClick={() => setOpen(expanded ? undefined : f.id)}
              >
                {expanded ? 'Hide' : 'Show'} the hits and parameters
              </button>
              {f.subject === 'decision' && r && r.total > 0 && <DrillDown slug={slug} filter={f.id} />}
            </div>
            {expanded && (
              <div className="anomaly-details">
                {f.params.length > 0 && (
                  <form
                    className="param-row"
                    onSubmit={(e) => {
                      e.preventDefault();
                      void run(f.id);
                    }}
                  >
                    {f.params.map((p) => (
                      <label key={p.name} title={p.description}>
                        {p.name}{' '}
                        {p.choices ? (
                          <select
                            value={params[f.id]?.[p.name] ?? String(p.default ?? '')}
                            onChange={(e) =>
                              setParams({ ...params, [f.id]: { ...params[f.id], [p.name]: e.target.value } })
                            }
                          >
                            {p.choices.map((c) => (
                              <option key={c}>{c}</option>
                            ))}
                          </select>
                        ) : (
                          <input
                            size={8}
                            value={params[f.id]?.[p.name] ?? ''}
                            placeholder={p.default === null ? 'off' : String(p.default)}
                            onChange={(e) =>
                              setParams({ ...params, [f.id]: { ...params[f.id], [p.name]: e.target.value } })
                            }
                          />
                        )}
                        <span className="small muted"> {p.description}</span>
                      </label>
                    ))}
                    <button type="submit" className="button small primary" disabled={loading[f.id]}>
                      {loading[f.id] ? 'Running…' : 'Apply'}
                    </button>
                  </form>
                )}
                {r && <Hits slug={slug} result={r} onPage={(offset) => void run(f.id, offset)} />}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}

function DrillDown({ slug, filter }: { slug: string; filter: string }) {
  const navigate = useStore((s) => s.navigate);
  return (
    <button
      type="button"
      className="button small"
      onClick={() => navigate(caseRoute(slug, 'explorer', { anomaly: filter }))}
    >
      Open these decisions in the explorer →
    </button>
  );
}

function Hits({ slug, result, onPage }: { slug: string; result: AnomalyResult; onPage(offset: number): void }) {
  const openRecord = useStore((s) => s.openRecord);
  const navigate = useStore((s) => s.navigate);
  if (result.total === 0) return <p className="muted">Nothing flagged at these parameters.</p>;
  return (
    <>
      {result.summary.length > 0 && (
        <p className="small">
          By{' '}
          {result.summary
            .slice(0, 6)
            .map((s) =>
              Object.entries(s)
                .map(([k, v]) => (k === 'hits' ? `${formatCount(Number(v))} hits` : `${cellText(v)}`))
                .join(' '),
            )
            .join(' · ')}
        </p>
      )}
      <DataTable
        testId={`anomaly-hits-${result.id}`}
        rows={result.items}
        rowKey={(_, i) => i}
        columns={[
          { header: 'Why it is flagged', cell: (item) => item.reason },
          {
            header: 'Integrity',
            cell: (item) => (item.integrity ? <Verdict value={item.integrity.status} /> : '–'),
          },
          {
            header: <span className="sr-only">Actions</span>,
            cellClass: 'actions',
            cell: (item) => {
              const loc = locatorOf(item);
              const decisionId = typeof item.item.decisionId === 'string' ? item.item.decisionId : undefined;
              return (
                <>
                  {loc && <LinkButton onClick={() => void openRecord(slug, loc, item.reason)}>Record</LinkButton>}{' '}
                  {decisionId && (
                    <LinkButton onClick={() => navigate(caseRoute(slug, 'timeline', { decision: decisionId }))}>
                      Timeline
                    </LinkButton>
                  )}
                </>
              );
            },
          },
        ]}
      />
      <Pager page={result} pageSize={PAGE} onPage={onPage} />
    </>
  );
}
