/** Column lists the anomaly filters share: a decision hit and a review hit, with their references. */
import { KIND_TABLES } from '../../case/evidence-schema.ts';
import { isoSql, timeParam } from '../db.ts';
import type { Json, SqlParams } from '../db.ts';
import { decisionWhere, hasFilters } from '../filters.ts';
import type { DecisionFilters } from '../filters.ts';
import { refColumnsSql } from '../integrity.ts';

export const DECISIONS = KIND_TABLES.decision;
export const REVIEWS = KIND_TABLES.review;

/** The columns of a decision hit over alias `a`. */
export function decisionItemSql(a: string): string {
  return `'${DECISIONS}' AS ref_table, ${refColumnsSql(a)}, ${a}.rowid AS rid, epoch_us(${a}."timestamp") AS sort_key,
    ${a}.decision_id AS "decisionId", ${isoSql(`${a}."timestamp"`)} AS "at", ${a}.model_id AS "modelId", ${a}.model_version AS "modelVersion",
    ${a}.prediction AS "prediction", ${a}.confidence AS "confidence", ${a}.latency_ms AS "latencyMs", ${a}.affected_user_id AS "affectedUserId"`;
}

/** The columns of a review-event hit over alias `a`. */
export function reviewItemSql(a: string): string {
  return `'${REVIEWS}' AS ref_table, ${refColumnsSql(a)}, epoch_us(${a}."timestamp") AS sort_key,
    ${a}.event_id AS "eventId", ${a}.event_type AS "eventType", ${isoSql(`${a}."timestamp"`)} AS "at", ${a}.task_id AS "taskId",
    ${a}.decision_id AS "decisionId", ${a}.reviewer_id AS "reviewerId", ${a}.action AS "action", ${a}.duration_ms AS "durationMs"`;
}

export const text = (v: Json | undefined): string =>
  v === null || v === undefined ? '?' : typeof v === 'string' ? v : JSON.stringify(v);

/**
 * A decision scope applied to review events `r`: the time range and reviewers judge the review event
 * itself; every other filter selects the decisions whose review events count.
 */
export function reviewScopeWhere(
  scope: DecisionFilters,
  fresh: ReadonlySet<string>,
): { sql: string; params: SqlParams } {
  const { from, to, reviewerId, ...rest } = scope;
  const parts: string[] = [];
  const params: SqlParams = {};
  if (from !== undefined) {
    params.rs_from = timeParam(from, 'from');
    parts.push(`r."timestamp" >= $rs_from::TIMESTAMPTZ`);
  }
  if (to !== undefined) {
    params.rs_to = timeParam(to, 'to');
    parts.push(`r."timestamp" < $rs_to::TIMESTAMPTZ`);
  }
  if (reviewerId !== undefined) {
    params.rs_reviewer = Array.isArray(reviewerId) ? reviewerId : [reviewerId];
    parts.push(`list_contains($rs_reviewer, r.reviewer_id)`);
  }
  if (hasFilters(rest)) {
    const w = decisionWhere(rest, fresh, 'rs_');
    Object.assign(params, w.params);
    parts.push(`r.decision_id IN (SELECT x.decision_id FROM ${DECISIONS} x WHERE ${w.sql})`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

/**
 * Decision hits found on the few columns a test needs (`hitsSql`: a SELECT of `x.rowid AS rid` and the
 * hit's own columns `extras`, using the WITH entries `ctes`). Reading hashes, ids and file names of ten
 * million decisions only to drop almost all of them costs more than the test itself, so the runner
 * reads the item columns for the hits only (`hits`); `sql` is the same as one statement.
 */
export function decisionHits(
  ctes: string,
  hitsSql: string,
  extras: readonly string[],
): { sql: string; hits: { sql: string; extras: readonly string[] } } {
  const hits = `${ctes ? `WITH ${ctes} ` : ''}${hitsSql}`;
  return {
    sql: `SELECT ${decisionItemSql('x')}${extras.map((c) => `, h."${c}"`).join('')}
      FROM ${DECISIONS} x JOIN (${hits}) h ON h.rid = x.rowid`,
    hits: { sql: hits, extras },
  };
}
