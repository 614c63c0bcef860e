import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { TimelineEvent, TimelineResult } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { BarChart } from '../../components/charts.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { LinkButton } from '../../components/LinkButton.tsx';
import { SummaryList } from '../../components/SummaryList.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { cellText, formatCount, formatPercent, formatTime, predictionText } from '../../format.ts';
import { caseRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { isStarred } from '../../store/annotations-slice.ts';
import { useRequest } from '../../components/useRequest.ts';
import type { RecordLocator } from '../../store/record-slice.ts';
import type { LoadStatus } from '../../store/types.ts';

type By = 'decision' | 'trace' | 'task';
const PARAM: Record<By, 'decisionId' | 'traceId' | 'taskId'> = {
  decision: 'decisionId',
  trace: 'traceId',
  task: 'taskId',
};
const LABEL: Record<By, string> = { decision: 'Decision id', trace: 'Trace id', task: 'Task id' };

const ICON: Record<string, string> = { lifecycle: '⚙', decision: '◆', explanation: '▤', review: '👤', outcome: '◎' };

/** The annotation target of a timeline event (see src/contract/records.ts). */
export function eventTarget(e: TimelineEvent): string | undefined {
  const d = e.details;
  if (e.kind === 'decision' && e.decisionId) return `decision:${e.decisionId}`;
  if ((e.kind === 'review' || e.kind === 'lifecycle') && typeof d.eventId === 'string') return `${e.kind}:${d.eventId}`;
  if (e.kind === 'outcome' && e.decisionId) return `outcome:${e.decisionId}`;
  return undefined;
}

function locatorOf(e: TimelineEvent): RecordLocator | undefined {
  const r = e.ref;
  if (!r) return undefined;
  if (r.sourceFile && (r.line !== null || r.row !== null)) {
    return r.line !== null ? { file: r.sourceFile, line: r.line } : { file: r.sourceFile, row: r.row as number };
  }
  if (r.stream !== null && r.seq !== null) return { stream: r.stream, seq: r.seq };
  return undefined;
}

export function TimelineScreen({ slug, query }: { slug: string; query: Record<string, string> }) {
  const navigate = useStore((s) => s.navigate);
  const by: By = query.trace ? 'trace' : query.task ? 'task' : 'decision';
  const id = query[by] ?? '';
  const [formBy, setFormBy] = useState<By>(by);
  const [formId, setFormId] = useState(id);
  // The form follows the address when it changes (a link, back/forward), and is the user's in between.
  const [formFor, setFormFor] = useState(`${by}|${id}`);
  if (formFor !== `${by}|${id}`) {
    setFormFor(`${by}|${id}`);
    setFormBy(by);
    setFormId(id);
  }
  const request = useRequest(id ? `${slug}|${by}|${id}` : undefined, () =>
    invoke('query.timeline', { case: slug, [PARAM[by]]: id }),
  );
  const result = id && !request.error ? request.data : undefined;
  const error = request.error;
  const status: LoadStatus = request.loading ? 'loading' : result ? 'ready' : 'idle';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (formId.trim()) navigate(caseRoute(slug, 'timeline', { [formBy]: formId.trim() }));
  };

  return (
    <div className="screen" data-testid="timeline-screen">
      <header className="screen-head">
        <h2>Decision timeline</h2>
        <p className="muted">
          One decision, trace or review task end to end: the model version serving it, the input, the output and its
          explanation, every review and escalation, the outcome, and whether each record passed verification.
        </p>
      </header>
      <section className="card">
        <form className="row" onSubmit={submit} aria-label="Choose what to show">
          <label>
            <span className="sr-only">Look up by</span>
            <select value={formBy} onChange={(e) => setFormBy(e.target.value as By)}>
              {(Object.keys(LABEL) as By[]).map((b) => (
                <option key={b} value={b}>
                  {LABEL[b]}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            <span className="sr-only">{LABEL[formBy]}</span>
            <input
              value={formId}
              onChange={(e) => setFormId(e.target.value)}
              placeholder={
                formBy === 'decision' ? 'e.g. d-00000042' : formBy === 'trace' ? 'a trace id' : 'e.g. task-d-00000042'
              }
              spellCheck={false}
              autoComplete="off"
              aria-label={LABEL[formBy]}
            />
          </label>
          <button type="submit" className="button primary" disabled={!formId.trim()}>
            Show timeline
          </button>
        </form>
        {!id && (
          <p className="muted">
            Tip: open any decision in the explorer, an anomaly or a finding and choose “Open the decision timeline”.
          </p>
        )}
        <ErrorNote error={error} />
      </section>
      {status === 'loading' && <p role="status">Assembling the timeline…</p>}
      {result && status === 'ready' && <TimelineView slug={slug} result={result} />}
    </div>
  );
}

function TimelineView({ slug, result }: { slug: string; result: TimelineResult }) {
  const openRecord = useStore((s) => s.openRecord);
  const navigate = useStore((s) => s.navigate);
  const explanation = result.events.find((e) => e.kind === 'explanation');
  // The artefact as the archive holds it (explanations/<ref>.json), under `artefact` in the event's details.
  const artefact = (
    explanation?.details.artefact && typeof explanation.details.artefact === 'object'
      ? explanation.details.artefact
      : explanation?.details
  ) as Record<string, unknown> | undefined;
  const attributions = Array.isArray(artefact?.attributions)
    ? (artefact.attributions as { feature?: string; contribution?: number; value?: unknown }[])
    : [];
  return (
    <>
      <section className="card" aria-labelledby="subject-heading">
        <h3 id="subject-heading">
          {result.subject.by} <code>{result.subject.id}</code>{' '}
          <Verdict
            value={result.integrity.status}
            title={`${formatCount(result.integrity.records)} records; verification run ${result.integrity.runId ?? 'none yet'}`}
          />
        </h3>
        {result.notices.map((n) => (
          <p key={n} className="notice">
            {n}
          </p>
        ))}
        <h4>Model version at the time</h4>
        <DataTable
          testId="model-state"
          rows={result.modelState}
          rowKey={(m) => m.decisionId}
          columns={[
            { header: 'Decision', cell: (m) => <code>{m.decisionId}</code> },
            { header: 'Model', cell: (m) => m.modelId ?? '–' },
            { header: 'Version used', cell: (m) => m.modelVersion ?? '–' },
            {
              header: 'Lifecycle says',
              cell: (m) => (
                <span className={m.versionState === 'deployed' ? 'present' : 'error'}>{m.versionState}</span>
              ),
            },
            { header: 'Version serving then', cell: (m) => m.activeVersion ?? '–' },
            {
              header: 'Last evaluation',
              cell: (m) =>
                m.lastEvaluation
                  ? `${m.lastEvaluation.passed ? 'passed' : `failed (${m.lastEvaluation.failedMetrics.join(', ')})`} ${formatTime(m.lastEvaluation.at)}`
                  : '–',
            },
          ]}
        />
      </section>

      {result.decisions.map((d) => (
        <DecisionCard key={d.decisionId ?? d.ref.line} decision={d} />
      ))}

      {attributions.length > 0 && (
        <section className="card" aria-labelledby="explanation-heading">
          <h3 id="explanation-heading">
            Explanation {typeof artefact?.method === 'string' ? `(${artefact.method})` : ''}
          </h3>
          <BarChart
            title="Feature contributions to the output"
            bars={attributions.map((a) => ({
              label: `${a.feature ?? '?'}${a.value !== undefined ? ` = ${cellText(a.value)}` : ''}`,
              value: typeof a.contribution === 'number' ? a.contribution : 0,
            }))}
          />
          <p className="small muted">
            Positive contributions push towards the output “{cellText(artefact?.output)}”; base value{' '}
            {cellText(artefact?.baseValue)}.
          </p>
        </section>
      )}

      <section className="card" aria-labelledby="events-heading">
        <h3 id="events-heading">Events ({formatCount(result.events.length)})</h3>
        <p className="small muted">Arrow keys move between events; Enter opens the record.</p>
        <EventList
          events={result.events}
          slug={slug}
          onOpen={(e) => {
            const loc = locatorOf(e);
            if (loc) void openRecord(slug, loc, `${e.kind} ${e.type}: ${e.summary}`);
          }}
        />
      </section>

      {result.nearby.length > 0 && (
        <section className="card" aria-labelledby="nearby-heading">
          <h3 id="nearby-heading">The affected user’s other decisions nearby</h3>
          {result.nearby.map((n) => (
            <div key={n.affectedUserId}>
              <p className="small muted">
                User <code>{n.affectedUserId.slice(0, 16)}…</code>: {formatCount(n.total)} decisions between{' '}
                {formatTime(n.from)} and {formatTime(n.to)}
              </p>
              <DataTable
                rows={n.decisions}
                rowKey={(d, i) => d.decisionId ?? d.ref.line ?? i}
                columns={[
                  {
                    header: 'Decision',
                    cell: (d) =>
                      d.decisionId ? (
                        <LinkButton
                          onClick={() => navigate(caseRoute(slug, 'timeline', { decision: d.decisionId as string }))}
                        >
                          {d.decisionId}
                        </LinkButton>
                      ) : (
                        '–'
                      ),
                  },
                  { header: 'When', cell: (d) => formatTime(d.at) },
                  {
                    header: 'Model',
                    cell: (d) => (
                      <>
                        {d.modelId} {d.modelVersion}
                      </>
                    ),
                  },
                  { header: 'Prediction', cell: (d) => cellText(d.prediction) },
                  { header: 'Override', cell: (d) => (d.humanOverride ? 'yes' : '') },
                  { header: 'Integrity', cell: (d) => <Verdict value={d.integrity.status} /> },
                ]}
              />
            </div>
          ))}
        </section>
      )}
    </>
  );
}

function DecisionCard({ decision }: { decision: TimelineResult['decisions'][number] }) {
  const r = decision.record;
  const features =
    r.inputFeatures && typeof r.inputFeatures === 'object' && !Array.isArray(r.inputFeatures) ? r.inputFeatures : {};
  const alternatives = Array.isArray(r.alternativePredictions) ? r.alternativePredictions : [];
  return (
    <section className="card" aria-label={`Decision ${decision.decisionId ?? ''}`} data-testid="decision-card">
      <h3>
        Decision <code>{decision.decisionId}</code> <span className="muted small">{formatTime(decision.at)}</span>
      </h3>
      <div className="grid-2 even">
        <div>
          <h4>Input</h4>
          <SummaryList
            items={[
              { label: 'inputHash', value: <code className="small">{cellText(r.inputHash)}</code> },
              ...Object.entries(features).map(([k, v]) => ({ key: `feature ${k}`, label: k, value: cellText(v) })),
              r.contextData !== undefined &&
                r.contextData !== null && {
                  label: 'context',
                  value: <code className="small">{JSON.stringify(r.contextData)}</code>,
                },
            ]}
          />
        </div>
        <div>
          <h4>Output</h4>
          <SummaryList
            items={[
              { label: 'prediction', value: <strong>{predictionText(r.prediction)}</strong> },
              {
                label: 'confidence',
                value: typeof r.confidence === 'number' ? formatPercent(r.confidence, 1) : '–',
              },
              ...alternatives.map((a, i) => ({
                key: `alternative ${i}`,
                label: 'alternative',
                value: predictionText(a),
              })),
              {
                label: 'model',
                value: (
                  <>
                    {cellText(r.modelId)} {cellText(r.modelVersion)} ({cellText(r.riskTier)} risk)
                  </>
                ),
              },
              {
                label: 'human review',
                value: (
                  <>
                    {r.humanReviewRequired ? 'required' : 'not required'},{' '}
                    {r.humanReviewed ? `done by ${cellText(r.humanReviewerId)}` : 'not done'}
                    {r.humanOverride
                      ? `; overridden to “${cellText(r.humanDecision)}”${r.overrideReason ? `: ${cellText(r.overrideReason)}` : ' with no reason given'}`
                      : ''}
                  </>
                ),
              },
              {
                label: 'integrity',
                value: (
                  <>
                    <Verdict value={decision.integrity.status} />{' '}
                    {decision.integrity.checkpoint && (
                      <span className="small muted">checkpoint {decision.integrity.checkpoint.label}</span>
                    )}
                  </>
                ),
              },
            ]}
          />
        </div>
      </div>
    </section>
  );
}

function EventList({
  events,
  slug,
  onOpen,
}: {
  events: TimelineEvent[];
  slug: string;
  onOpen(e: TimelineEvent): void;
}) {
  const byTarget = useStore((s) => s.annotations.byTarget);
  const toggleStar = useStore((s) => s.toggleStar);
  const items = useRef<(HTMLLIElement | null)[]>([]);
  const onKey = (e: KeyboardEvent<HTMLLIElement>, i: number) => {
    const go = (j: number) => {
      e.preventDefault();
      items.current[Math.max(0, Math.min(events.length - 1, j))]?.focus();
    };
    if (e.key === 'ArrowDown') go(i + 1);
    else if (e.key === 'ArrowUp') go(i - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(events.length - 1);
    else if (e.key === 'Enter' && e.target === e.currentTarget) {
      e.preventDefault();
      onOpen(events[i]);
    }
  };
  return (
    <ol className="timeline" data-testid="timeline-events">
      {events.map((ev, i) => {
        const target = eventTarget(ev);
        const notes = target ? byTarget[target] : undefined;
        const checks = ev.integrity.checks.map((c) => `${c.check}: ${c.message}`).join('\n');
        return (
          <li
            key={`${ev.kind}-${i}`}
            className={`event kind-${ev.kind}`}
            tabIndex={0}
            ref={(el) => {
              items.current[i] = el;
            }}
            onKeyDown={(e) => onKey(e, i)}
            data-kind={ev.kind}
            data-type={ev.type}
          >
            <span className="event-icon" aria-hidden="true">
              {ICON[ev.kind] ?? '•'}
            </span>
            <div className="event-body">
              <div className="event-head">
                <time dateTime={ev.at ?? undefined}>{formatTime(ev.at ?? ev.atText)}</time>
                <span className="event-type">
                  {ev.kind}
                  {ev.type !== ev.kind ? ` · ${ev.type}` : ''}
                </span>
                <Verdict
                  value={ev.integrity.status}
                  title={
                    checks || (ev.integrity.checkpoint ? `checkpoint ${ev.integrity.checkpoint.label}` : undefined)
                  }
                />
                {isStarred(notes) && <span aria-label="starred">★</span>}
                {(notes ?? [])
                  .flatMap((a) => a.tags)
                  .map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
              </div>
              <p className="event-summary">{ev.summary}</p>
              {(notes ?? [])
                .filter((a) => a.text)
                .map((a) => (
                  <p key={a.id} className="note small">
                    ✎ {a.text} <span className="muted">({a.actor})</span>
                  </p>
                ))}
              <div className="event-actions">
                {ev.ref && <LinkButton onClick={() => onOpen(ev)}>Open the record</LinkButton>}
                {target && (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => void toggleStar(slug, target)}
                    aria-pressed={isStarred(notes)}
                  >
                    {isStarred(notes) ? 'Unstar' : 'Star'}
                  </button>
                )}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
