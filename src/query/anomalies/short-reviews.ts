/** Anomaly filter `short-reviews`: reviews too quick to have been real (rubber stamping). */
import { REVIEWS, reviewItemSql, reviewScopeWhere } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const shortReviews: AnomalyFilter = {
  id: 'short-reviews',
  title: 'Reviews shorter than N seconds',
  explanation:
    'Review events whose durationMs is under a minimum (default 10 seconds), too short to have read the case, which suggests the reviewer rubber-stamped the model.',
  subject: 'review',
  params: [
    {
      name: 'maxSeconds',
      type: 'number',
      default: 10,
      min: 0,
      description: 'flag reviews that took less than this many seconds',
    },
  ],
  flagged(ctx, p, scope) {
    const rw = reviewScopeWhere(scope, ctx.lookups);
    return {
      sql: `SELECT ${reviewItemSql('r')} FROM ${REVIEWS} r WHERE ${rw.sql} AND r.duration_ms IS NOT NULL AND r.duration_ms < $maxMs`,
      params: { ...rw.params, maxMs: (p.maxSeconds as number) * 1000 },
      summaryBy: ['reviewerId'],
    };
  },
  describe(item, p) {
    return `${String(item.reviewerId ?? '?')} ${String(item.eventType)} ${String(item.action ?? '')} in ${(Number(item.durationMs) / 1000).toFixed(1)} s (under ${String(p.maxSeconds)} s)`;
  },
};
