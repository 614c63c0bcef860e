/**
 * Fairness: the `fairness` query for each attribute the investigator asked for (what `audit-ws
 * fairness --attribute ... --json` gives with the same parameters): per group, n and the selection
 * rate with its Wilson 95% interval, the ratio to the reference group against the four-fifths rule
 * and the 0.8-1.25 band, error rates where outcomes exist, small groups flagged (never dropped),
 * decisions without the attribute counted, by model version and by week, and override rates by group.
 */
import { BAND, FAIRNESS_DEFAULTS, FOUR_FIFTHS, fairness } from '../../query/fairness.ts';
import type { FairnessParams, FairnessResult, GroupStats, Interval } from '../../query/fairness.ts';
import { barChart } from '../charts.ts';
import type { FairnessRequest, ReportContext } from '../context.ts';
import { badge, facts, fmtInt, fmtNum, fmtPct, html, join, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import type { ReportTable } from '../tables.ts';
import type { Headline } from './summary.ts';

export interface FairnessData {
  requested: FairnessRequest[];
  analyses: { request: FairnessRequest; params: FairnessParams; result?: FairnessResult; error?: string }[];
}

/** The query parameters of a request: exactly what the CLI passes for the same flags. */
export function fairnessParams(r: FairnessRequest): FairnessParams {
  const p: FairnessParams = { attribute: r.attribute, positivePrediction: r.positivePrediction };
  if (r.positiveOutcome !== undefined) p.positiveOutcome = r.positiveOutcome;
  if (r.reference !== undefined) p.reference = r.reference;
  if (r.minGroup !== undefined) p.minGroupSize = r.minGroup;
  if (r.modelId !== undefined) p.modelId = r.modelId;
  return p;
}

export async function collectFairness(ctx: ReportContext): Promise<FairnessData> {
  const requested = ctx.options.fairness ?? [];
  const analyses: FairnessData['analyses'] = [];
  for (const request of requested) {
    const params = fairnessParams(request);
    try {
      analyses.push({ request, params, result: await fairness(ctx.query, params) });
    } catch (err) {
      analyses.push({ request, params, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { requested, analyses };
}

const judged = (g: GroupStats): boolean =>
  g.flags.includes('fails-four-fifths') || g.flags.includes('outside-0.8-1.25');

export function fairnessHeadlines(d: FairnessData): Headline[] {
  if (d.analyses.length === 0) {
    return [
      {
        tone: 'info',
        title: 'No fairness analysis requested',
        detail: 'Choose an attribute and the favourable prediction to include one.',
        section: 'fairness',
      },
    ];
  }
  return d.analyses.map((a) => {
    if (!a.result)
      return {
        tone: 'bad' as const,
        title: `Fairness by ${a.request.attribute} could not be computed`,
        detail: a.error ?? '',
        section: 'fairness',
      };
    const r = a.result;
    const flagged = r.groups.filter(judged);
    const versions = r.byModelVersion.filter((v) => v.groups.some(judged));
    const small = r.groups.filter((g) => g.flags.includes('below-min-size'));
    const parts: string[] = [];
    if (flagged.length)
      parts.push(
        `${flagged.map((g) => `group ${g.group}: ${fmtPct(g.selectionRate)} selected, ratio ${fmtNum(g.disparateImpact)} to ${r.reference}`).join('; ')}`,
      );
    if (versions.length)
      parts.push(
        `disparity within ${versions
          .map(
            (v) =>
              `${v.modelId ?? '?'} ${v.modelVersion ?? '?'} (${v.groups
                .filter(judged)
                .map((g) => `${g.group}: ${fmtNum(g.disparateImpact)}`)
                .join(', ')})`,
          )
          .join('; ')}`,
      );
    if (small.length) parts.push(`${small.length} group(s) below ${r.minGroupSize} decisions not judged`);
    const any = flagged.length > 0 || versions.length > 0;
    return {
      tone: any ? ('bad' as const) : ('ok' as const),
      title: any ? `Selection-rate disparity by ${r.attribute}` : `No selection-rate disparity by ${r.attribute}`,
      detail: any
        ? `${parts.join('. ')}.`
        : `Every group of ${fmtInt(r.groups.length)} is within the 0.8-1.25 band of ${r.reference ?? 'the reference'}${small.length ? `; ${parts[parts.length - 1]}` : ''}.`,
      section: 'fairness',
    };
  });
}

export function fairnessTables(d: FairnessData): ReportTable[] {
  const out: ReportTable[] = [];
  d.analyses.forEach((a, i) => {
    if (!a.result) return;
    const r = a.result;
    const row = (slice: string, g: GroupStats): unknown[] => [
      r.attribute,
      slice,
      g.group,
      g.n,
      g.selected,
      g.selectionRate,
      g.ci.selectionRate?.[0] ?? null,
      g.ci.selectionRate?.[1] ?? null,
      g.disparateImpact,
      g.withOutcome,
      g.tpr,
      g.fpr,
      g.fnr,
      g.precision,
      g.flags.join(' '),
    ];
    out.push({
      name: `fairness-${i + 1}`,
      description: `Fairness by ${r.attribute} (positive prediction ${r.positivePrediction}${r.positiveOutcome ? `, positive outcome ${r.positiveOutcome}` : ''}; reference ${r.reference ?? 'none'})`,
      columns: [
        'attribute',
        'slice',
        'group',
        'n',
        'selected',
        'selectionRate',
        'selectionRateLow95',
        'selectionRateHigh95',
        'disparateImpact',
        'withOutcome',
        'tpr',
        'fpr',
        'fnr',
        'precision',
        'flags',
      ],
      rows: [
        ...r.groups.map((g) => row('all', g)),
        ...r.byModelVersion.flatMap((v) => v.groups.map((g) => row(`${v.modelId ?? '?'} ${v.modelVersion ?? '?'}`, g))),
        ...r.byWeek.flatMap((w) => w.groups.map((g) => row(`week ${w.week}`, g))),
      ],
    });
  });
  return out;
}

function ci(i: Interval): string {
  return i ? `${fmtPct(i[0])}–${fmtPct(i[1])}` : '–';
}

function flagBadges(flags: readonly string[]): Html {
  return join(
    flags.map((f) => badge(f, f === 'reference' ? 'info' : f === 'below-min-size' ? 'warn' : 'bad')),
    ' ',
  );
}

function groupTable(r: FairnessResult, groups: readonly GroupStats[]): Html {
  const withOutcomes = r.positiveOutcome !== null;
  return table(
    [
      { head: 'Group', cell: (g) => g.group, cls: 'mono' },
      { head: 'n', cell: (g) => fmtInt(g.n), cls: 'num' },
      { head: 'Selection rate', cell: (g) => fmtPct(g.selectionRate), cls: 'num' },
      { head: '95% interval', cell: (g) => ci(g.ci.selectionRate), cls: 'num' },
      { head: 'Ratio to ref.', cell: (g) => fmtNum(g.disparateImpact), cls: 'num' },
      ...(withOutcomes
        ? [
            { head: 'TPR', cell: (g: GroupStats) => fmtPct(g.tpr), cls: 'num' },
            { head: 'FPR', cell: (g: GroupStats) => fmtPct(g.fpr), cls: 'num' },
            { head: 'FNR', cell: (g: GroupStats) => fmtPct(g.fnr), cls: 'num' },
            { head: 'Precision', cell: (g: GroupStats) => fmtPct(g.precision), cls: 'num' },
          ]
        : []),
      { head: 'Flags', cell: (g) => flagBadges(g.flags), cls: 'wrap' },
    ],
    groups,
  );
}

function renderAnalysis(a: FairnessData['analyses'][number]): Html {
  if (!a.result)
    return html`<div class="fairness-analysis">
      <h3>By ${a.request.attribute}</h3>
      <p class="callout bad">The analysis could not be computed: ${a.error}</p>
    </div>`;
  const r = a.result;
  const versionsFlagged = r.byModelVersion.filter((v) => v.groups.some(judged));
  const weeksFlagged = r.byWeek.filter((w) => w.groups.some(judged));
  return html`<div class="fairness-analysis">
    <h3>By ${r.attribute}${a.params.modelId ? `, model ${String(a.params.modelId)}` : ''}</h3>
    ${facts([
      [
        'Favourable prediction',
        `${r.positivePrediction} (basis: ${r.basis === 'model' ? "the model's prediction" : 'the final decision after human overrides'})`,
      ],
      ['Favourable outcome', r.positiveOutcome ?? 'not given: error rates not computed'],
      [
        'Reference group',
        `${r.reference ?? 'none'} (${r.referenceRule === 'chosen' ? 'chosen by the investigator' : r.referenceRule === 'largest' ? 'the largest group' : 'the group with the highest selection rate'})`,
      ],
      [
        'Minimum group size',
        `${fmtInt(r.minGroupSize)}: ${fmtInt(r.excluded.belowMinSize.groups)} smaller group(s) with ${fmtInt(r.excluded.belowMinSize.decisions)} decisions are listed and flagged, not judged`,
      ],
      ['Decisions without the attribute', fmtInt(r.missing)],
      ['Decisions without a prediction', fmtInt(r.excluded.noPrediction)],
      [
        'Integrity of the rows',
        `${r.integrity.status}${r.integrity.failed ? `, ${fmtInt(r.integrity.failed)} failed verification` : ''}${r.integrity.notVerified ? `, ${fmtInt(r.integrity.notVerified)} not verified` : ''}`,
      ],
    ])}
    ${barChart(
      r.groups.map((g) => ({
        label: `${g.group} (n ${fmtInt(g.n)})`,
        value: g.selectionRate,
        low: g.ci.selectionRate?.[0] ?? null,
        high: g.ci.selectionRate?.[1] ?? null,
        flagged: judged(g),
        note: fmtPct(g.selectionRate),
      })),
      {
        max: 1,
        format: (v) => fmtPct(v),
        title: `Selection rate of "${r.positivePrediction}" per group, with Wilson 95% intervals (red: outside the 0.8-1.25 band of the reference)`,
      },
    )}
    ${barChart(
      r.groups
        .filter((g) => g.disparateImpact !== null)
        .map((g) => ({
          label: g.group,
          value: g.disparateImpact,
          flagged: judged(g),
          note: fmtNum(g.disparateImpact),
        })),
      {
        max: Math.max(1.5, ...r.groups.map((g) => g.disparateImpact ?? 0)),
        format: (v) => fmtNum(v),
        refs: [
          { at: FOUR_FIFTHS, label: '0.8' },
          { at: BAND[1], label: '1.25' },
        ],
        title: `Ratio of each group's selection rate to the reference group ${r.reference ?? ''} (dashed: the 0.8-1.25 band; 0.8 is the four-fifths rule)`,
      },
    )}
    ${groupTable(r, r.groups)}
    <h3>By model version</h3>
    ${
      versionsFlagged.length
        ? join(
            versionsFlagged.map(
              (v) =>
                html`<p>
                    <strong>${v.modelId ?? '?'} ${v.modelVersion ?? '?'}</strong>, reference ${v.reference ?? 'none'}:
                  </p>
                  ${groupTable(r, v.groups)}`,
            ),
          )
        : html`<p>No model version shows a group outside the band.</p>`
    }
    <p class="muted">
      ${fmtInt(r.byModelVersion.length)} model versions analysed; every version's groups are in the fairness CSV.
    </p>
    <h3>By week</h3>
    <p>
      ${
        weeksFlagged.length
          ? `${fmtInt(weeksFlagged.length)} of ${fmtInt(r.byWeek.length)} weeks show a group outside the band: ${weeksFlagged
              .map(
                (w) =>
                  `${w.week.slice(0, 10)} (${w.groups
                    .filter(judged)
                    .map((g) => `${g.group} ${fmtNum(g.disparateImpact)}`)
                    .join(', ')})`,
              )
              .join('; ')}.`
          : `None of the ${fmtInt(r.byWeek.length)} weeks shows a group outside the band.`
      }
    </p>
    <h3>Human overrides by group</h3>
    ${table(
      [
        { head: 'Group', cell: (o) => o.group, cls: 'mono' },
        { head: 'n', cell: (o) => fmtInt(o.n), cls: 'num' },
        { head: 'Reviewed', cell: (o) => `${fmtInt(o.reviewed)} (${fmtPct(o.reviewRate)})`, cls: 'num' },
        { head: 'Overridden', cell: (o) => fmtInt(o.overridden), cls: 'num' },
        { head: 'Override rate', cell: (o) => fmtPct(o.overrideRate), cls: 'num' },
        { head: '95% interval', cell: (o) => ci(o.ci.overrideRate), cls: 'num' },
        { head: 'Ratio to ref.', cell: (o) => fmtNum(o.overrideRateRatio), cls: 'num' },
        { head: 'Flags', cell: (o) => flagBadges(o.flags), cls: 'wrap' },
      ],
      r.overrideByGroup,
    )}
    ${r.notices.length ? html`<p class="muted">${r.notices.join(' ')}</p>` : ''}
  </div>`;
}

export function renderFairness(d: FairnessData, n: number): Html {
  return html`<section id="fairness">
    <h2>${n}. Fairness</h2>
    <p>
      Method: per group of the attribute, the share of decisions with the favourable prediction (selection rate) and,
      where outcomes are known, the true positive, false positive and false negative rates and the precision, each with
      a Wilson 95% interval. Each group is compared with a reference group; a ratio below ${FOUR_FIFTHS} fails the
      four-fifths rule, and a ratio outside ${BAND[0]}-${BAND[1]} is flagged. Groups under the minimum size (default
      ${FAIRNESS_DEFAULTS.minGroupSize}) are shown and flagged, never silently dropped; decisions without the attribute
      are counted.
    </p>
    ${
      d.analyses.length
        ? join(d.analyses.map(renderAnalysis))
        : html`<p class="callout info">
            No fairness analysis was requested for this report. Name the attribute (for example a member of
            inputFeatures) and the favourable prediction to include one (audit-ws report --fairness inputFeatures.group
            --positive-prediction approve).
          </p>`
    }
  </section>`;
}
