/**
 * Human oversight: the `oversight` query with its defaults (what `audit-ws oversight --json` gives):
 * review coverage and rates, overrides, time spent per review, escalations and escalation loops,
 * overall, per reviewer, per model version and per week. In package scope the escalation loops listed
 * are those of the selected decisions; the rates cover the whole case.
 */
import { OVERSIGHT_METRIC_COLUMNS, OVERSIGHT_REVIEWER_COLUMNS, oversight } from '../../query/oversight.ts';
import type { OversightResult } from '../../query/oversight.ts';
import { timeBars } from '../charts.ts';
import type { ReportContext } from '../context.ts';
import { inScope } from '../context.ts';
import { badge, facts, fmtDate, fmtInt, fmtNum, fmtPct, html, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import type { ReportTable } from '../tables.ts';
import type { Headline } from './summary.ts';

export type OversightData = OversightResult;

export async function collectOversight(ctx: ReportContext): Promise<OversightData> {
  const r = await oversight(ctx.query);
  if (ctx.scope) {
    const tasks = r.escalationLoops.tasks.filter((t) => inScope(ctx, t.decisionId));
    r.escalationLoops = { ...r.escalationLoops, tasks, limit: tasks.length };
  }
  return r;
}

export function oversightHeadlines(d: OversightData): Headline[] {
  const o = d.overall;
  if (o.decisions === 0) return [];
  const missed = o.reviewRequired - Math.round((o.reviewCoverage ?? 0) * o.reviewRequired);
  const out: Headline[] = [
    {
      tone: (o.reviewCoverage ?? 1) < 0.999 ? 'warn' : 'ok',
      title: (o.reviewCoverage ?? 1) < 0.999 ? 'Required human reviews not done' : 'Every required human review done',
      detail: `${fmtInt(o.reviewRequired)} decisions required a human review; ${fmtPct(o.reviewCoverage)} of them were reviewed${missed > 0 ? ` (${fmtInt(missed)} were not)` : ''}. Humans overrode ${fmtInt(o.overrides)} decisions (${fmtPct(o.overrideRate)} of those reviewed); the median review took ${fmtNum(o.medianReviewSeconds, 1)} s.`,
      section: 'oversight',
    },
  ];
  if (o.shortReviews > 0 || d.escalationLoops.total > 0) {
    out.push({
      tone: 'warn',
      title: 'Review quality',
      detail: `${fmtInt(o.shortReviews)} reviews took less than ${d.params.shortReviewSeconds} s; ${fmtInt(d.escalationLoops.total)} review tasks went round in escalation loops.`,
      section: 'oversight',
    });
  }
  return out;
}

export function oversightTables(d: OversightData): ReportTable[] {
  return [
    {
      name: 'oversight-by-reviewer',
      description: 'Human oversight per reviewer (oversight query, default parameters)',
      columns: [...OVERSIGHT_REVIEWER_COLUMNS],
      rows: d.byReviewer.map((r) => OVERSIGHT_REVIEWER_COLUMNS.map((c) => r[c])),
    },
    {
      name: 'oversight-by-model-version',
      description: 'Human oversight per model version',
      columns: ['modelId', 'modelVersion', ...OVERSIGHT_METRIC_COLUMNS],
      rows: d.byModelVersion.map((r) => [r.modelId, r.modelVersion, ...OVERSIGHT_METRIC_COLUMNS.map((c) => r[c])]),
    },
    {
      name: 'oversight-over-time',
      description: `Human oversight per ${d.params.bucket}`,
      columns: ['bucket', ...OVERSIGHT_METRIC_COLUMNS],
      rows: d.overTime.map((r) => [r.bucket, ...OVERSIGHT_METRIC_COLUMNS.map((c) => r[c])]),
    },
  ];
}

export function renderOversight(d: OversightData, n: number): Html {
  const o = d.overall;
  return html`<section id="oversight">
    <h2>${n}. Human oversight</h2>
    <p>
      How human oversight worked: which decisions required a review and got one, how often reviewers overrode the model,
      how long they spent, and whether review tasks bounced between reviewers. Integrity of the rows these figures rest
      on:
      ${d.integrity.status}${d.integrity.failed ? `, ${fmtInt(d.integrity.failed)} failed verification` : ''}${d.integrity.notVerified ? `, ${fmtInt(d.integrity.notVerified)} not verified` : ''}.
    </p>
    ${facts([
      ['Decisions', fmtInt(o.decisions)],
      [
        'Review required',
        `${fmtInt(o.reviewRequired)}; of these ${fmtPct(o.reviewCoverage)} were reviewed (review coverage)`,
      ],
      ['Reviewed', `${fmtInt(o.reviewed)} decisions, ${fmtPct(o.reviewRate)} of all (review rate)`],
      [
        'Overridden by a human',
        `${fmtInt(o.overrides)}, ${fmtPct(o.overrideRate)} of the reviewed decisions (override rate)`,
      ],
      [
        'Review events',
        `${fmtInt(o.reviews)} reviews; median time ${fmtNum(o.medianReviewSeconds, 1)} s; ${fmtInt(o.shortReviews)} shorter than ${d.params.shortReviewSeconds} s`,
      ],
      [
        'Escalations',
        `${fmtInt(o.escalations)}; ${fmtInt(d.escalationLoops.total)} tasks in escalation loops (a task back with someone who had it, or escalated more than ${d.params.maxEscalations} times)`,
      ],
    ])}
    ${timeBars(
      d.overTime.map((t) => ({ label: fmtDate(t.bucket), value: t.decisions, rate: t.reviewRate })),
      { title: `Decisions per ${d.params.bucket} (bars) and the share reviewed (line)`, rateLabel: 'review rate' },
    )}
    <h3>Per reviewer</h3>
    ${table(
      [
        { head: 'Reviewer', cell: (r) => r.reviewerId ?? '(none)', cls: 'mono nowrap' },
        { head: 'Reviews', cell: (r) => fmtInt(r.reviews), cls: 'num' },
        { head: 'Median s', cell: (r) => fmtNum(r.medianReviewSeconds, 1), cls: 'num' },
        { head: 'P10 s', cell: (r) => fmtNum(r.p10ReviewSeconds, 1), cls: 'num' },
        {
          head: `< ${d.params.shortReviewSeconds} s`,
          cell: (r) => (r.shortReviews > 0 ? badge(fmtInt(r.shortReviews), 'warn') : '0'),
          cls: 'num',
        },
        {
          head: 'Approve / reject / modify',
          cell: (r) => `${fmtInt(r.approvals)} / ${fmtInt(r.rejections)} / ${fmtInt(r.modifications)}`,
          cls: 'num',
        },
        { head: 'Override rate', cell: (r) => fmtPct(r.overrideRate), cls: 'num' },
        {
          head: 'Escalated from / to',
          cell: (r) => `${fmtInt(r.escalatedFrom)} / ${fmtInt(r.escalatedTo)}`,
          cls: 'num',
        },
      ],
      d.byReviewer,
      { empty: 'No review events.' },
    )}
    <h3>Per model version</h3>
    ${table(
      [
        {
          head: 'Model',
          cell: (r) => html`${r.modelId ?? '–'}<br /><span class="muted">${r.modelVersion ?? '–'}</span>`,
        },
        { head: 'Decisions', cell: (r) => fmtInt(r.decisions), cls: 'num' },
        { head: 'Review required', cell: (r) => fmtInt(r.reviewRequired), cls: 'num' },
        {
          head: 'Coverage',
          cell: (r) =>
            (r.reviewCoverage ?? 1) < 0.999 ? badge(fmtPct(r.reviewCoverage), 'warn') : fmtPct(r.reviewCoverage),
          cls: 'num',
        },
        { head: 'Review rate', cell: (r) => fmtPct(r.reviewRate), cls: 'num' },
        { head: 'Overrides', cell: (r) => fmtInt(r.overrides), cls: 'num' },
        { head: 'Override rate', cell: (r) => fmtPct(r.overrideRate), cls: 'num' },
        { head: 'Median review s', cell: (r) => fmtNum(r.medianReviewSeconds, 1), cls: 'num' },
      ],
      d.byModelVersion,
    )}
    <h3>Over time (per ${d.params.bucket})</h3>
    ${table(
      [
        { head: d.params.bucket[0].toUpperCase() + d.params.bucket.slice(1), cell: (r) => fmtDate(r.bucket) },
        { head: 'Decisions', cell: (r) => fmtInt(r.decisions), cls: 'num' },
        { head: 'Coverage', cell: (r) => fmtPct(r.reviewCoverage), cls: 'num' },
        { head: 'Review rate', cell: (r) => fmtPct(r.reviewRate), cls: 'num' },
        { head: 'Override rate', cell: (r) => fmtPct(r.overrideRate), cls: 'num' },
        { head: 'Reviews', cell: (r) => fmtInt(r.reviews), cls: 'num' },
        { head: 'Median s', cell: (r) => fmtNum(r.medianReviewSeconds, 1), cls: 'num' },
        { head: 'Escalations', cell: (r) => fmtInt(r.escalations), cls: 'num' },
      ],
      d.overTime,
    )}
    ${
      d.escalationLoops.total > 0
        ? html`<h3>Escalation loops</h3>
            ${table(
              [
                { head: 'Task', cell: (t) => t.taskId, cls: 'mono' },
                { head: 'Decision', cell: (t) => t.decisionId ?? '–', cls: 'mono nowrap' },
                { head: 'Escalations', cell: (t) => fmtInt(t.escalations), cls: 'num' },
                { head: 'Who had it, in order', cell: (t) => t.chain.map((c) => c ?? '?').join(' → '), cls: 'wrap' },
                { head: 'Back to someone', cell: (t) => (t.repeatedReviewer ? 'yes' : 'no') },
              ],
              d.escalationLoops.tasks,
              { empty: 'None of the selected decisions is among them.' },
            )}`
        : ''
    }
  </section>`;
}
