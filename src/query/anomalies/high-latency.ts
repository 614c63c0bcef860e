/** Anomaly filter `high-latency`: decisions that took far longer than their model usually does. */
import { decisionWhere } from '../filters.ts';
import { DECISIONS, decisionHits, text } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const HIGH_LATENCY_METHODS = ['robust-z', 'zscore', 'p99'] as const;

export const highLatency: AnomalyFilter = {
  id: 'high-latency',
  title: 'High latency',
  explanation:
    "Decisions whose latencyMs is an outlier for their own model (by default a robust z-score from the model's median and interquartile range above 10, which the incident being looked for cannot inflate), a sign of degraded service or a different code path.",
  subject: 'decision',
  params: [
    {
      name: 'method',
      type: 'string',
      default: 'robust-z',
      choices: HIGH_LATENCY_METHODS,
      description:
        "robust-z: (latency - median) / (IQR / 1.349) per model; zscore: (latency - mean) / standard deviation per model; p99: above the model's 99th percentile (always flags about 1%)",
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
          : // the IQR is 0 when over half the values are equal; the standard deviation stands in then
            `(x.latency_ms - s.med) / nullif(CASE WHEN s.iqr > 0 THEN s.iqr / 1.349 ELSE s.sd END, 0)`;
    const flag = p.method === 'p99' ? `x.latency_ms > s.p99` : `${score} > $threshold`;
    // only the statistics the method needs; median and quartiles come from one sort of the latencies
    const aggregates =
      p.method === 'p99'
        ? 'quantile_cont(x.latency_ms, 0.99) AS p99'
        : p.method === 'zscore'
          ? 'avg(x.latency_ms) AS mean, stddev_pop(x.latency_ms) AS sd'
          : 'quantile_cont(x.latency_ms, [0.25, 0.5, 0.75]) AS q, stddev_pop(x.latency_ms) AS sd';
    const stats =
      p.method === 'p99'
        ? 'NULL::DOUBLE AS med, p99, NULL::DOUBLE AS mean, NULL::DOUBLE AS sd, NULL::DOUBLE AS iqr'
        : p.method === 'zscore'
          ? 'NULL::DOUBLE AS med, NULL::DOUBLE AS p99, mean, sd, NULL::DOUBLE AS iqr'
          : 'q[2] AS med, NULL::DOUBLE AS p99, NULL::DOUBLE AS mean, sd, q[3] - q[1] AS iqr';
    const cond = `${w.sql} AND x.latency_ms IS NOT NULL`;
    return {
      ...decisionHits(
        `stats AS (
          SELECT model_id, ${stats} FROM (
            SELECT x.model_id, count(*) AS n, ${aggregates} FROM ${DECISIONS} x WHERE ${cond} GROUP BY x.model_id
          ) WHERE n >= $minDecisions
        )`,
        `SELECT x.rowid AS rid, ${score} AS "score", s.med AS "modelMedianMs", s.p99 AS "modelP99Ms", s.mean AS "modelMeanMs"
         FROM ${DECISIONS} x JOIN stats s ON s.model_id IS NOT DISTINCT FROM x.model_id
         WHERE ${cond} AND ${flag}`,
        ['score', 'modelMedianMs', 'modelP99Ms', 'modelMeanMs'],
      ),
      params: {
        ...w.params,
        minDecisions: p.minDecisions as number,
        ...(p.method === 'p99' ? {} : { threshold: threshold as number }),
      },
      summaryBy: ['modelId', 'modelVersion'],
    };
  },
  describe(item, p) {
    const centre =
      p.method === 'zscore'
        ? `a mean of ${Number(item.modelMeanMs).toFixed(1)}`
        : `a median of ${Number(item.modelMedianMs).toFixed(1)}`;
    if (p.method === 'p99')
      return `latency ${text(item.latencyMs)} ms is above the 99th percentile of ${text(item.modelId)} (${Number(item.modelP99Ms).toFixed(1)} ms)`;
    const score = Number(item.score).toFixed(1);
    return `latency ${text(item.latencyMs)} ms against ${centre} ms for ${text(item.modelId)} (${p.method} score ${score})`;
  },
};
