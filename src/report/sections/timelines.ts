/**
 * Selected decision timelines, each the `timeline` query's result for one decision (as `audit-ws
 * timeline --decision ID --json` gives it). Which decisions: those the investigator names; else, in
 * package scope, the packaged decisions; else the starred and annotated ones, then the first hit of
 * each anomaly filter. In package scope the affected user's other decisions are counted, not listed.
 */
import { timeline } from '../../query/timeline.ts';
import type { TimelineResult } from '../../query/timeline.ts';
import type { ReportContext } from '../context.ts';
import { inScope } from '../context.ts';
import { badge, fmtInt, fmtTime, html, join, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import type { AnnotationsData } from './annotations.ts';
import { decisionOfTarget } from './annotations.ts';
import type { AnomaliesData } from './anomalies.ts';

export interface TimelinesData {
  chosenBy: 'investigator' | 'package' | 'annotations-and-anomalies';
  /** Decisions that would have been shown but exceeded the limit. */
  notShown: number;
  timelines: TimelineResult[];
  missing: string[];
}

export async function collectTimelines(
  ctx: ReportContext,
  annotations: AnnotationsData,
  anomalies: AnomaliesData,
): Promise<TimelinesData> {
  let ids: string[];
  let chosenBy: TimelinesData['chosenBy'];
  const limit = ctx.options.maxTimelines ?? (ctx.scope ? 20 : 5);
  if (ctx.options.timelines?.length) {
    ids = ctx.options.timelines.filter((id) => inScope(ctx, id));
    chosenBy = 'investigator';
  } else if (ctx.scope) {
    ids = [...ctx.scope].sort();
    chosenBy = 'package';
  } else {
    const fromNotes = annotations.listed.map((a) => decisionOfTarget(a.target)).filter((x): x is string => !!x);
    const fromAnomalies = anomalies.results
      .flatMap((r) => r.items.slice(0, 1).map((i) => i.item.decisionId))
      .filter((x): x is string => typeof x === 'string');
    ids = [...fromNotes, ...fromAnomalies];
    chosenBy = 'annotations-and-anomalies';
  }
  ids = [...new Set(ids)];
  const timelines: TimelineResult[] = [];
  const missing: string[] = [];
  for (const id of ids.slice(0, limit)) {
    try {
      const t = await timeline(ctx.query, { decisionId: id });
      if (ctx.scope) {
        for (const n of t.nearby) n.decisions = n.decisions.filter((d) => inScope(ctx, d.decisionId));
      }
      timelines.push(t);
    } catch {
      missing.push(id);
    }
  }
  return { chosenBy, notShown: Math.max(0, ids.length - limit), timelines, missing };
}

const WHY: Record<TimelinesData['chosenBy'], string> = {
  investigator: 'chosen by the investigator',
  package: 'the decisions in this evidence package',
  'annotations-and-anomalies': 'the starred and annotated decisions, then the first hit of each anomaly filter',
};

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function renderOne(t: TimelineResult): Html {
  const d = t.decisions[0];
  const rec = d?.record ?? {};
  const ms = t.modelState[0];
  return html`<div class="timeline">
    <h3>
      Decision ${t.subject.id}
      ${badge(t.integrity.status, t.integrity.status === 'passed' ? 'ok' : t.integrity.status === 'failed' ? 'bad' : 'warn')}
    </h3>
    <p class="muted">
      ${fmtTime(d?.at ?? null)}; model ${valueText(rec.modelId)}
      ${valueText(rec.modelVersion)}${ms ? ` (${ms.versionState}${ms.activeVersion && ms.activeVersion !== ms.modelVersion ? `; active version then: ${ms.activeVersion}` : ''}${ms.lastEvaluation ? `; last evaluation ${ms.lastEvaluation.passed ? 'passed' : `failed (${ms.lastEvaluation.failedMetrics.join(', ')})`}` : ''})` : ''};
      prediction ${valueText(rec.prediction)} at confidence ${valueText(rec.confidence)}; source
      ${d?.ref.sourceFile ?? '–'}${d?.ref.line ? `:${d.ref.line}` : ''}, seq ${d?.ref.seq ?? '–'}.
    </p>
    ${table(
      [
        { head: 'When', cell: (e) => fmtTime(e.at), width: '21%' },
        { head: 'Event', cell: (e) => html`${e.kind}<br /><span class="muted">${e.type}</span>`, width: '14%' },
        { head: 'What happened', cell: (e) => e.summary, cls: 'wrap' },
        {
          head: 'Integrity',
          cell: (e) =>
            badge(
              e.integrity.status,
              e.integrity.status === 'passed' ? 'ok' : e.integrity.status === 'failed' ? 'bad' : 'warn',
            ),
          width: '12%',
        },
      ],
      t.events,
    )}
    ${
      t.nearby.length
        ? join(
            t.nearby.map(
              (n) =>
                html`<p class="muted">
                  The affected user has ${fmtInt(n.total)} other decision${n.total === 1 ? '' : 's'} between
                  ${fmtTime(n.from)} and
                  ${fmtTime(n.to)}${
                    n.decisions.length
                      ? `, e.g. ${n.decisions
                          .slice(0, 5)
                          .map((x) => `${x.decisionId} (${valueText(x.prediction)})`)
                          .join(', ')}`
                      : ''
                  }.
                </p>`,
            ),
          )
        : ''
    }
    ${t.notices.length ? html`<p class="muted">${t.notices.join(' ')}</p>` : ''}
  </div>`;
}

export function renderTimelines(d: TimelinesData, n: number): Html {
  return html`<section id="timelines">
    <h2>${n}. Selected decision timelines</h2>
    <p>
      ${fmtInt(d.timelines.length)} timeline${d.timelines.length === 1 ? '' : 's'}:
      ${WHY[d.chosenBy]}${d.notShown ? `; ${fmtInt(d.notShown)} more not shown (see <code>audit-ws timeline</code>)` : ''}.
      Each lists, in time order, the model's lifecycle around the decision, the decision, its explanation, the human
      review events and the observed outcome, with the verification status of every record.
    </p>
    ${d.missing.length ? html`<p class="callout warn">No timeline for ${d.missing.join(', ')}: the case holds no such decision.</p>` : ''}
    ${d.timelines.length ? join(d.timelines.map(renderOne)) : html`<p class="empty">No decision was selected for a timeline.</p>`}
  </section>`;
}
