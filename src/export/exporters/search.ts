/**
 * `search`: every decision the search filters match (the same filters as `audit-ws search`, from
 * src/query/filters.ts), streamed in time order: not a page, the whole matching set.
 */
import { KIND_TABLES } from '../../case/evidence-schema.ts';
import { AuditWsError } from '../../errors.ts';
import { queryContext } from '../../query/context.ts';
import { isoSql } from '../../query/db.ts';
import { decisionWhere } from '../../query/filters.ts';
import type { Exporter } from '../exporter.ts';
import { FILTER_PARAMS, filtersFromParams } from '../query-params.ts';

const SORTS: Record<string, string> = { time: 'x."timestamp"', confidence: 'x.confidence', latency: 'x.latency_ms' };

export const searchExporter: Exporter = {
  name: 'search',
  description:
    'Every decision matching the search filters (not just one page), with its source location and chain position',
  params: [
    ...FILTER_PARAMS,
    { name: 'sort', description: 'time (default), confidence or latency; a leading "-" sorts descending' },
  ],
  async open(ctx, params) {
    const q = await queryContext(ctx);
    const w = decisionWhere(filtersFromParams('search', params), q.lookups);
    const sort = params.sort ?? 'time';
    const desc = sort.startsWith('-');
    const key = desc ? sort.slice(1) : sort;
    if (!SORTS[key])
      throw new AuditWsError(
        'BAD_USAGE',
        `export search: sort must be time, confidence or latency (optionally with a leading "-"), not "${sort}"`,
      );
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT x.decision_id AS "decisionId", x.trace_id AS "traceId", x.task_id AS "taskId", ${isoSql('x."timestamp"')} AS "at",
      x.model_id AS "modelId", x.model_version AS "modelVersion", x.risk_tier AS "riskTier", x.consequence_level AS "consequenceLevel",
      x.environment AS "environment", x.decision_category AS "decisionCategory", x.prediction AS "prediction", x.confidence AS "confidence",
      x.latency_ms AS "latencyMs", x.human_review_required AS "humanReviewRequired", x.human_reviewed AS "humanReviewed",
      x.human_override AS "humanOverride", x.human_reviewer_id AS "humanReviewerId", x.affected_user_id AS "affectedUserId",
      x.stream AS "stream", x.seq AS "seq", x.hash AS "hash", x.source_file AS "sourceFile", x.line AS "line", x."row" AS "row"
      FROM ${KIND_TABLES.decision} x WHERE ${w.sql}
      ORDER BY ${SORTS[key]} ${dir} NULLS LAST, x.source_file ${dir}, x.line ${dir}, x."row" ${dir}`;
    return { sql, params: w.params };
  },
};
