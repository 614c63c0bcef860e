/** Anomaly filter `low-confidence`: decisions the model itself was unsure of. */
import { decisionWhere } from '../filters.ts';
import { DECISIONS, decisionItemSql, text } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const lowConfidence: AnomalyFilter = {
  id: 'low-confidence',
  title: 'Low confidence',
  explanation:
    'Decisions whose confidence is below a threshold (or, with a percentile, in the lowest share of their own model), where an automated outcome deserved a second look.',
  subject: 'decision',
  params: [
    {
      name: 'threshold',
      type: 'number',
      default: 0.5,
      min: 0,
      max: 1,
      description: 'flag confidence below this value (ignored when percentile is set)',
    },
    {
      name: 'percentile',
      type: 'number',
      default: null,
      min: 0,
      max: 50,
      description:
        'instead of the threshold: flag the lowest this-many percent of each model (at or below its percentile)',
    },
  ],
  flagged(ctx, p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    if (p.percentile === null) {
      return {
        sql: `SELECT ${decisionItemSql('x')}, $threshold AS "cutoff" FROM ${DECISIONS} x WHERE ${w.sql} AND x.confidence < $threshold`,
        params: { ...w.params, threshold: p.threshold as number },
        summaryBy: ['modelId', 'modelVersion'],
      };
    }
    return {
      sql: `WITH cut AS (
          SELECT x.model_id, quantile_cont(x.confidence, $fraction) AS cutoff FROM ${DECISIONS} x WHERE ${w.sql} AND x.confidence IS NOT NULL GROUP BY x.model_id
        )
        SELECT ${decisionItemSql('x')}, cut.cutoff AS "cutoff"
        FROM ${DECISIONS} x JOIN cut ON cut.model_id IS NOT DISTINCT FROM x.model_id
        WHERE ${w.sql} AND x.confidence <= cut.cutoff`,
      params: { ...w.params, fraction: (p.percentile as number) / 100 },
      summaryBy: ['modelId', 'modelVersion'],
    };
  },
  describe(item, p) {
    return p.percentile === null
      ? `confidence ${text(item.confidence)} is below ${text(p.threshold)}`
      : `confidence ${text(item.confidence)} is in the lowest ${text(p.percentile)}% of ${text(item.modelId)} (at or below ${Number(item.cutoff).toPrecision(4)})`;
  },
};
