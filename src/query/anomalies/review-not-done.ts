/** Anomaly filter `review-not-done`: decisions that required a human review which never happened. */
import { decisionWhere } from '../filters.ts';
import { DECISIONS, REVIEWS, decisionItemSql } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const reviewNotDone: AnomalyFilter = {
  id: 'review-not-done',
  title: 'Human review required but not done',
  explanation:
    'Decisions marked humanReviewRequired that neither say they were reviewed (humanReviewed) nor have a reviewed or resolved review event, i.e. automated outcomes that skipped the oversight they were supposed to get.',
  subject: 'decision',
  params: [],
  flagged(ctx, _p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    const done = `SELECT r.decision_id, r.task_id FROM ${REVIEWS} r WHERE r.event_type = 'reviewed' OR r.event_type = 'resolved'`;
    return {
      sql: `WITH done AS (${done})
        SELECT ${decisionItemSql('x')}, x.task_id AS "taskId",
          x.task_id IS NOT NULL AND x.task_id IN (SELECT r.task_id FROM ${REVIEWS} r WHERE r.task_id IS NOT NULL) AS "taskOpened"
        FROM ${DECISIONS} x
        WHERE ${w.sql} AND x.human_review_required AND NOT coalesce(x.human_reviewed, false)
          AND x.decision_id NOT IN (SELECT decision_id FROM done WHERE decision_id IS NOT NULL)
          AND (x.task_id IS NULL OR x.task_id NOT IN (SELECT task_id FROM done WHERE task_id IS NOT NULL))`,
      params: w.params,
      summaryBy: ['modelId', 'modelVersion'],
    };
  },
  describe(item) {
    return item.taskOpened === true
      ? `human review required; review task ${String(item.taskId)} was opened but never reviewed`
      : 'human review required; no review recorded';
  },
};
