/** Anomaly filter `override-without-reason`: human overrides that do not say why. */
import { decisionWhere } from '../filters.ts';
import { DECISIONS, REVIEWS, decisionItemSql, reviewItemSql, reviewScopeWhere } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const overrideWithoutReason: AnomalyFilter = {
  id: 'override-without-reason',
  title: 'Override without a reason',
  explanation:
    "Decisions a human overrode (humanOverride) with no overrideReason, and review events that reject or modify the model's output with no rationale text, so the correction cannot be audited.",
  subject: 'decision-or-review',
  params: [],
  flagged(ctx, _p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    const rw = reviewScopeWhere(scope, ctx.lookups);
    // both kinds of hit share one column list, so they page and count as one result
    return {
      sql: `SELECT ref_table, ref_stream, ref_seq, ref_source_file, ref_line, ref_row, ref_import_id, ref_hash, sort_key,
          "decisionId", "at", "modelId", NULL::VARCHAR AS "eventId", NULL::VARCHAR AS "reviewerId", NULL::VARCHAR AS "action", "humanDecision"
        FROM (SELECT ${decisionItemSql('x')}, x.human_decision AS "humanDecision" FROM ${DECISIONS} x
              WHERE ${w.sql} AND x.human_override AND nullif(trim(coalesce(x.override_reason, '')), '') IS NULL)
        UNION ALL
        SELECT ref_table, ref_stream, ref_seq, ref_source_file, ref_line, ref_row, ref_import_id, ref_hash, sort_key,
          "decisionId", "at", NULL::VARCHAR, "eventId", "reviewerId", "action", NULL::VARCHAR
        FROM (SELECT ${reviewItemSql('r')} FROM ${REVIEWS} r
              WHERE ${rw.sql} AND (r.action = 'reject' OR r.action = 'modify')
                AND nullif(trim(coalesce(json_extract_string(r.rationale, '$.text'), CASE WHEN json_type(r.rationale) = 'VARCHAR' THEN json_extract_string(r.rationale, '$') END, '')), '') IS NULL
                AND nullif(trim(coalesce(r.reason, '')), '') IS NULL)`,
      params: { ...w.params, ...rw.params },
      summaryBy: ['ref_table', 'reviewerId'],
    };
  },
  describe(item) {
    return item.eventId !== null && item.eventId !== undefined
      ? `review ${String(item.eventId)} by ${String(item.reviewerId ?? '?')}: ${String(item.action)} with no rationale`
      : `overridden to ${String(item.humanDecision ?? '?')} with no overrideReason`;
  },
};
