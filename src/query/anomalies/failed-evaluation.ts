/** Anomaly filter `failed-evaluation`: decisions by a version whose latest evaluation failed. */
import { decisionWhere } from '../filters.ts';
import { EVALUATION_SEGMENTS_SQL, evaluationSegmentJoinSql } from '../model-state.ts';
import { DECISIONS, decisionItemSql } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const failedEvaluation: AnomalyFilter = {
  id: 'failed-evaluation',
  title: 'Decisions from a version whose evaluation failed',
  explanation:
    'Decisions made by a model version whose most recent evaluation_completed event before the decision failed (an evaluation result with passed false), i.e. a model serving although it did not meet its release criteria.',
  subject: 'decision',
  params: [],
  flagged(ctx, _p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    return {
      sql: `WITH ${EVALUATION_SEGMENTS_SQL}
        SELECT ${decisionItemSql('x')}, es.event_id AS "evaluationEventId", es.failed_metrics AS "failedMetrics"
        FROM ${DECISIONS} x ${evaluationSegmentJoinSql('x', 'es')}
        WHERE ${w.sql} AND es.passed = false`,
      params: w.params,
      summaryBy: ['modelId', 'modelVersion', 'evaluationEventId'],
    };
  },
  describe(item) {
    const metrics =
      Array.isArray(item.failedMetrics) && item.failedMetrics.length > 0
        ? ` (failed: ${item.failedMetrics.join(', ')})`
        : '';
    return `${String(item.modelId)} ${String(item.modelVersion)} was serving after evaluation ${String(item.evaluationEventId)} failed${metrics}`;
  },
};
