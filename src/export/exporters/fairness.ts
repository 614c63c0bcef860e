/** `fairness`: the groups of the `fairness` query, overall, per model version and per week. */
import { queryContext } from '../../query/context.ts';
import { fairness } from '../../query/fairness.ts';
import type { FairnessParams, GroupStats } from '../../query/fairness.ts';
import type { CsvValue } from '../csv.ts';
import { intParam } from '../exporter.ts';
import type { Exporter } from '../exporter.ts';
import { FILTER_PARAMS, filtersFromParams } from '../query-params.ts';

export const fairnessExporter: Exporter = {
  name: 'fairness',
  description:
    'Selection and error rates per group of one attribute with Wilson 95% intervals and ratios to the reference group',
  params: [
    { name: 'attribute', description: 'e.g. inputFeatures.group', required: true },
    { name: 'positivePrediction', description: 'the favourable prediction, e.g. approve', required: true },
    { name: 'positiveOutcome', description: 'the favourable observed outcome' },
    { name: 'reference', description: 'the reference group' },
    { name: 'minGroupSize', description: 'groups smaller than this are flagged (default 30)' },
    ...FILTER_PARAMS,
  ],
  async open(ctx, params) {
    const p: FairnessParams = {
      ...filtersFromParams('fairness', params),
      attribute: params.attribute,
      positivePrediction: params.positivePrediction,
    };
    if (params.positiveOutcome) p.positiveOutcome = params.positiveOutcome;
    if (params.reference) p.reference = params.reference;
    const min = intParam('fairness', params, 'minGroupSize');
    if (min !== undefined) p.minGroupSize = min;
    const r = await fairness(await queryContext(ctx), p);
    const row = (slice: string, reference: string | null, g: GroupStats): CsvValue[] => [
      slice,
      reference,
      g.group,
      g.n,
      g.selected,
      g.selectionRate,
      g.ci.selectionRate?.[0] ?? null,
      g.ci.selectionRate?.[1] ?? null,
      g.disparateImpact,
      g.withOutcome,
      g.tp,
      g.fp,
      g.fn,
      g.tn,
      g.tpr,
      g.fpr,
      g.fnr,
      g.precision,
      g.flags.join(' '),
    ];
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      for (const g of r.groups) yield row('all', r.reference, g);
      for (const v of r.byModelVersion)
        for (const g of v.groups) yield row(`${v.modelId ?? ''} ${v.modelVersion ?? ''}`.trim(), v.reference, g);
      for (const w of r.byWeek) for (const g of w.groups) yield row(`week ${w.week}`, w.reference, g);
    }
    return {
      columns: [
        'slice',
        'reference',
        'group',
        'n',
        'selected',
        'selectionRate',
        'selectionRateLow95',
        'selectionRateHigh95',
        'disparateImpact',
        'withOutcome',
        'tp',
        'fp',
        'fn',
        'tn',
        'tpr',
        'fpr',
        'fnr',
        'precision',
        'flags',
      ],
      rows: rows(),
    };
  },
};
