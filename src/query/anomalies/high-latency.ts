/** Anomaly filter `high-latency`: decisions that took far longer than their model usually does. */
import { decisionWhere } from '../filters.ts';
import { DECISIONS, decisionItemSql, text } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const HIGH_LATENCY_METHODS = ['robust-z', 'zscore', 'p99'] as const;

export const highLatency: AnomalyFilter = {
  id: 'high-latency',
  title: 'High latency',
  explanation:
    "Decisions whose latencyMs is an outlier for their own model (by default a robust z-score from the model's median and median absolute deviation above 10, which the incident being looked for cannot inflate), a sign of degraded service or a different code path.",
  subject: 'decision',
  params: [
    {
      name: 'method',
      type: 'string',
      default: 'robust-z',
      choices: HIGH_LATENCY_METHODS,
      description:
        "robust-z: (latency - median) / (1.4826 x MAD) per model; zscore: (latency - mean) / standard deviation per model; p99: above the model's 99th percentile (always flags about 1%)",
    },
    {
      name: 'threshold',
      type: 'number',
      default: null,
      min: 0,
      description: 'score above which a decision is flagged (default 10 for robust-z, 4 for zscore; p99 ignores it)',
    },
    {
      name: 'minDecisions',
      type: 'number',
      default: 30,
      min: 2,
      integer: true,
      description: 'models with fewer decisions with a latency are not judged',
    },
  ],
  flagged(ctx, p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    const threshold = p.threshold ?? (p.method === 'zscore' ? 4 : 10);
    const score =
      p.method === 'p99'
        ? `x.latency_ms / nullif(s.p99, 0)`
        : p.method === 'zscore'
          ? `(x.latency_ms - s.mean) / nullif(s.sd, 0)`
          : // MAD is 0 when over half the values are equal; the mean absolute deviation (x 1.2533) stands in then
            `(x.latency_ms - s.med) / nullif(CASE WHEN s.mad > 0 THEN 1.4826 * s.mad ELSE 1.2533 * s.meanad END, 0)`;
    const flag = p.method === 'p99' ? `x.latency_ms > s.p99` : `${score} > $threshold`;
    const cond = `${w.sql} AND x.latency_ms IS NOT NULL`;
    const joinStats = `JOIN stats s ON s.model_id IS NOT DISTINCT FROM x.model_id`;
    const meanad =
      p.method === 'robust-z'
        ? `, meanad AS (SELECT x.model_id, avg(abs(x.latency_ms - s.med)) AS meanad FROM ${DECISIONS} x ${joinStats} WHERE ${cond} GROUP BY x.model_id)`
        : '';
    return {
      sql: `WITH stats AS (
          SELECT x.model_id, count(*) AS n, median(x.latency_ms) AS med, mad(x.latency_ms) AS mad, avg(x.latency_ms) AS mean, stddev_pop(x.latency_ms) AS sd,
            ${p.method === 'p99' ? 'quantile_cont(x.latency_ms, 0.99)' : 'NULL::DOUBLE'} AS p99
          FROM ${DECISIONS} x WHERE ${cond} GROUP BY x.model_id HAVING count(*) >= $minDecisions
        )${meanad}
        SELECT ${decisionItemSql('x')}, ${score} AS "score", s.med AS "modelMedianMs", s.p99 AS "modelP99Ms"
        FROM ${DECISIONS} x JOIN (${p.method === 'robust-z' ? 'SELECT stats.*, meanad.meanad FROM stats JOIN meanad ON meanad.model_id IS NOT DISTINCT FROM stats.model_id' : 'SELECT * FROM stats'}) s ON s.model_id IS NOT DISTINCT FROM x.model_id
        WHERE ${cond} AND ${flag}`,
      params: {
        ...w.params,
        minDecisions: p.minDecisions as number,
        ...(p.method === 'p99' ? {} : { threshold: threshold as number }),
      },
      summaryBy: ['modelId', 'modelVersion'],
    };
  },
  describe(item, p) {
    const med = Number(item.modelMedianMs);
    if (p.method === 'p99')
      return `latency ${text(item.latencyMs)} ms is above the 99th percentile of ${text(item.modelId)} (${Number(item.modelP99Ms).toFixed(1)} ms)`;
    const score = Number(item.score).toFixed(1);
    return `latency ${text(item.latencyMs)} ms against a median of ${med.toFixed(1)} ms for ${text(item.modelId)} (${p.method} score ${score})`;
  },
};
