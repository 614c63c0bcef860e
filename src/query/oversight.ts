/**
 * Query `oversight`: how human oversight worked. From the decisions: how many required a review, how
 * many got one, how many a human overrode. From the review events: time spent per review (durationMs
 * of `reviewed` events), what each reviewer decided, escalations, and escalation loops (a task passed
 * back to someone who already had it, or escalated more than `maxEscalations` times). Overall, per
 * reviewer, per model version and per day / week / month (decision metrics by decision time, review
 * metrics by review-event time).
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { reviewScopeWhere } from './anomalies/common.ts';
import type { QueryContext } from './context.ts';
import { isoSql, numberParam, pageOf, queryRows, ratio, utcSql } from './db.ts';
import type { Json, Page, Row } from './db.ts';
import { decisionWhere, pickFilters } from './filters.ts';
import type { DecisionFilters } from './filters.ts';
import type { IntegritySummary } from './integrity.ts';

export interface OversightParams extends DecisionFilters {
  /** Time buckets of `overTime` (default week). */
  bucket?: 'day' | 'week' | 'month';
  /** Reviews shorter than this count as `shortReviews` (default 10, as the short-reviews anomaly filter). */
  shortReviewSeconds?: number;
  /** A task escalated more times than this is an escalation loop even without a repeated reviewer (default 2). */
  maxEscalations?: number;
  /** Paging of the listed escalation loops. */
  loops?: Page;
}

export interface DecisionOversight {
  decisions: number;
  reviewRequired: number;
  /** Decisions that say they were reviewed (humanReviewed). */
  reviewed: number;
  /** Of those requiring review, the share reviewed. */
  reviewCoverage: number | null;
  /** Of all decisions, the share reviewed. */
  reviewRate: number | null;
  overrides: number;
  /** Overrides per reviewed decision. */
  overrideRate: number | null;
}

export interface ReviewOversight {
  /** `reviewed` events. */
  reviews: number;
  medianReviewSeconds: number | null;
  shortReviews: number;
  escalations: number;
}

export interface ReviewerOversight extends ReviewOversight {
  reviewerId: string | null;
  approvals: number;
  rejections: number;
  modifications: number;
  /** Reviews that rejected or modified the model's output, per review. */
  overrideRate: number | null;
  p10ReviewSeconds: number | null;
  escalatedFrom: number;
  escalatedTo: number;
}

export interface EscalationLoop {
  taskId: string;
  decisionId: string | null;
  escalations: number;
  /** Who had the task, in order: the first escalation's from, then each escalation's to. */
  chain: (string | null)[];
  /** Someone in the chain had the task before. */
  repeatedReviewer: boolean;
}

export interface OversightResult {
  params: { bucket: string; shortReviewSeconds: number; maxEscalations: number };
  overall: DecisionOversight & ReviewOversight;
  byReviewer: ReviewerOversight[];
  byModelVersion: ({ modelId: string | null; modelVersion: string | null } & DecisionOversight & ReviewOversight)[];
  overTime: ({ bucket: string } & DecisionOversight & ReviewOversight)[];
  escalationLoops: { total: number; offset: number; limit: number; tasks: EscalationLoop[] };
  integrity: IntegritySummary;
  ms: number;
}

/**
 * The columns of the oversight tables, in the order the CSV export (`export oversight`) and the report's
 * tables give them: a group of decisions (per model version, per time bucket) after its key columns...
 */
export const OVERSIGHT_METRIC_COLUMNS = [
  'decisions',
  'reviewRequired',
  'reviewed',
  'reviewCoverage',
  'reviewRate',
  'overrides',
  'overrideRate',
  'reviews',
  'medianReviewSeconds',
  'shortReviews',
  'escalations',
] as const satisfies readonly (keyof (DecisionOversight & ReviewOversight))[];

/** ...and a reviewer. */
export const OVERSIGHT_REVIEWER_COLUMNS = [
  'reviewerId',
  'reviews',
  'medianReviewSeconds',
  'p10ReviewSeconds',
  'shortReviews',
  'approvals',
  'rejections',
  'modifications',
  'overrideRate',
  'escalations',
  'escalatedFrom',
  'escalatedTo',
] as const satisfies readonly (keyof ReviewerOversight)[];

const BUCKETS = ['day', 'week', 'month'] as const;
const D = KIND_TABLES.decision;
const R = KIND_TABLES.review;

const n = (v: Json | undefined): number => Number(v ?? 0);
const numOrNull = (v: Json | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: Json | undefined): string | null => (v === null || v === undefined ? null : String(v));

function decisionMetrics(r: Row): DecisionOversight {
  const decisions = n(r.decisions);
  const reviewed = n(r.reviewed);
  const overrides = n(r.overrides);
  return {
    decisions,
    reviewRequired: n(r.review_required),
    reviewed,
    reviewCoverage: ratio(n(r.required_reviewed), n(r.review_required)),
    reviewRate: ratio(reviewed, decisions),
    overrides,
    overrideRate: ratio(overrides, reviewed),
  };
}

function reviewMetrics(r: Row | undefined): ReviewOversight {
  return {
    reviews: n(r?.reviews),
    medianReviewSeconds: numOrNull(r?.median_s),
    shortReviews: n(r?.short_reviews),
    escalations: n(r?.escalations),
  };
}

export async function oversight(ctx: QueryContext, params: OversightParams = {}): Promise<OversightResult> {
  const started = performance.now();
  const bucket = params.bucket ?? 'week';
  if (!BUCKETS.includes(bucket))
    throw new AuditWsError('BAD_USAGE', `bucket must be one of ${BUCKETS.join(', ')}, not "${String(bucket)}"`);
  const shortReviewSeconds = numberParam(params.shortReviewSeconds ?? 10, 'shortReviewSeconds', 0, 1e9);
  const maxEscalations = numberParam(params.maxEscalations ?? 2, 'maxEscalations', 1, 1000, true);
  const { limit, offset } = pageOf(params.loops, 50);
  const scope = pickFilters(params);

  const w = decisionWhere(scope, ctx.lookups);
  const rw = reviewScopeWhere(scope, ctx.lookups);
  // `bucket` is one of three fixed words (checked above), safe to write into the SQL
  const decisionRows = await queryRows(
    ctx.duck,
    `SELECT x.model_id, x.model_version, ${isoSql(`date_trunc('${bucket}', ${utcSql('x."timestamp"')})`)} AS b,
       GROUPING(x.model_id, x.model_version) AS g_model, GROUPING(date_trunc('${bucket}', ${utcSql('x."timestamp"')})) AS g_time,
       count(*) AS decisions,
       count(*) FILTER (WHERE x.human_review_required) AS review_required,
       count(*) FILTER (WHERE x.human_reviewed) AS reviewed,
       count(*) FILTER (WHERE x.human_review_required AND x.human_reviewed) AS required_reviewed,
       count(*) FILTER (WHERE x.human_override) AS overrides
     FROM ${D} x WHERE ${w.sql}
     GROUP BY GROUPING SETS ((), (x.model_id, x.model_version), (date_trunc('${bucket}', ${utcSql('x."timestamp"')})))`,
    w.params,
  );

  const rv = `rv AS (
    SELECT r.*, x.model_id, x.model_version FROM ${R} r LEFT JOIN ${D} x ON x.decision_id = r.decision_id
    WHERE ${rw.sql} AND (r.event_type = 'reviewed' OR r.event_type = 'escalated')
  )`;
  // what needs no model version reads the review events alone
  const rs = `rv AS (SELECT r.* FROM ${R} r WHERE ${rw.sql})`;
  const reviewRows = await queryRows(
    ctx.duck,
    `WITH ${rv}
     SELECT model_id, model_version, ${isoSql(`date_trunc('${bucket}', ${utcSql('"timestamp"')})`)} AS b,
       GROUPING(model_id, model_version) AS g_model, GROUPING(date_trunc('${bucket}', ${utcSql('"timestamp"')})) AS g_time,
       count(*) FILTER (WHERE event_type = 'reviewed') AS reviews,
       median(duration_ms / 1000.0) FILTER (WHERE event_type = 'reviewed') AS median_s,
       count(*) FILTER (WHERE event_type = 'reviewed' AND duration_ms < $shortMs) AS short_reviews,
       count(*) FILTER (WHERE event_type = 'escalated') AS escalations
     FROM rv GROUP BY GROUPING SETS ((), (model_id, model_version), (date_trunc('${bucket}', ${utcSql('"timestamp"')})))`,
    { ...rw.params, shortMs: shortReviewSeconds * 1000 },
  );

  const reviewerRows = await queryRows(
    ctx.duck,
    `WITH ${rs}, people AS (
       SELECT reviewer_id AS who, event_type, action, duration_ms, 'self' AS role FROM rv WHERE event_type = 'reviewed'
       UNION ALL SELECT from_reviewer_id, event_type, NULL, NULL, 'from' FROM rv WHERE event_type = 'escalated'
       UNION ALL SELECT to_reviewer_id, event_type, NULL, NULL, 'to' FROM rv WHERE event_type = 'escalated'
     )
     SELECT who,
       count(*) FILTER (WHERE role = 'self') AS reviews,
       count(*) FILTER (WHERE role = 'self' AND action = 'approve') AS approvals,
       count(*) FILTER (WHERE role = 'self' AND action = 'reject') AS rejections,
       count(*) FILTER (WHERE role = 'self' AND action = 'modify') AS modifications,
       median(duration_ms / 1000.0) FILTER (WHERE role = 'self') AS median_s,
       quantile_cont(duration_ms / 1000.0, 0.1) FILTER (WHERE role = 'self') AS p10_s,
       count(*) FILTER (WHERE role = 'self' AND duration_ms < $shortMs) AS short_reviews,
       count(*) FILTER (WHERE role = 'from') AS escalated_from,
       count(*) FILTER (WHERE role = 'to') AS escalated_to
     FROM people GROUP BY who ORDER BY reviews DESC, who`,
    { ...rw.params, shortMs: shortReviewSeconds * 1000 },
  );

  const loopSql = `WITH ${rs}, chains AS (
      SELECT task_id, any_value(decision_id) AS decision_id, count(*) AS escalations,
        list_prepend(arg_min(from_reviewer_id, "timestamp"), list(to_reviewer_id ORDER BY "timestamp", seq)) AS chain
      FROM rv WHERE event_type = 'escalated' AND task_id IS NOT NULL GROUP BY task_id
    )
    SELECT task_id, decision_id, escalations, chain, len(list_distinct(chain)) < len(list_filter(chain, lambda c: c IS NOT NULL)) AS repeated
    FROM chains WHERE len(list_distinct(chain)) < len(list_filter(chain, lambda c: c IS NOT NULL)) OR escalations > $maxEscalations`;
  const loopParams = { ...rw.params, maxEscalations };
  const [{ total: loopTotal }] = await queryRows(ctx.duck, `SELECT count(*) AS total FROM (${loopSql})`, loopParams);
  const loops = await queryRows(ctx.duck, `${loopSql} ORDER BY task_id LIMIT ${limit} OFFSET ${offset}`, loopParams);

  const integrity = await ctx.integrity.summarize(
    ctx.duck,
    `SELECT x.stream, x.seq, x.source_file, x.line, x."row", x.import_id FROM ${D} x WHERE ${w.sql}
     UNION ALL SELECT r.stream, r.seq, r.source_file, r.line, r."row", r.import_id FROM ${R} r WHERE ${rw.sql}`,
    { ...w.params, ...rw.params },
  );

  // GROUPING() of two columns is a bit mask: 0 when both are grouped, 3 when neither
  const reviewOverall = reviewRows.find((r) => r.g_model !== 0 && r.g_time !== 0);
  const decisionOverall = decisionRows.find((r) => r.g_model !== 0 && r.g_time !== 0);
  const key = (r: Row) => `${str(r.model_id)}\u0000${str(r.model_version)}`;
  const reviewByModel = new Map(reviewRows.filter((r) => r.g_model === 0).map((r) => [key(r), r]));
  const reviewByTime = new Map(reviewRows.filter((r) => r.g_time === 0).map((r) => [str(r.b), r]));
  const decisionByTime = new Map(decisionRows.filter((r) => r.g_time === 0).map((r) => [str(r.b), r]));
  const times = [...new Set([...decisionByTime.keys(), ...reviewByTime.keys()])]
    .filter((b): b is string => b !== null)
    .sort();

  return {
    params: { bucket, shortReviewSeconds, maxEscalations },
    overall: { ...decisionMetrics(decisionOverall ?? {}), ...reviewMetrics(reviewOverall) },
    byReviewer: reviewerRows.map((r) => ({
      reviewerId: str(r.who),
      reviews: n(r.reviews),
      approvals: n(r.approvals),
      rejections: n(r.rejections),
      modifications: n(r.modifications),
      overrideRate: ratio(n(r.rejections) + n(r.modifications), n(r.reviews)),
      medianReviewSeconds: numOrNull(r.median_s),
      p10ReviewSeconds: numOrNull(r.p10_s),
      shortReviews: n(r.short_reviews),
      escalations: n(r.escalated_from),
      escalatedFrom: n(r.escalated_from),
      escalatedTo: n(r.escalated_to),
    })),
    byModelVersion: decisionRows
      .filter((r) => r.g_model === 0)
      .sort(
        (a, b) =>
          String(a.model_id).localeCompare(String(b.model_id)) ||
          String(a.model_version).localeCompare(String(b.model_version)),
      )
      .map((r) => ({
        modelId: str(r.model_id),
        modelVersion: str(r.model_version),
        ...decisionMetrics(r),
        ...reviewMetrics(reviewByModel.get(key(r))),
      })),
    overTime: times.map((b) => ({
      bucket: b,
      ...decisionMetrics(decisionByTime.get(b) ?? {}),
      ...reviewMetrics(reviewByTime.get(b)),
    })),
    escalationLoops: {
      total: n(loopTotal),
      offset,
      limit,
      tasks: loops.map((r) => ({
        taskId: String(r.task_id),
        decisionId: str(r.decision_id),
        escalations: n(r.escalations),
        chain: (r.chain as (string | null)[]) ?? [],
        repeatedReviewer: r.repeated === true,
      })),
    },
    integrity,
    ms: Math.round(performance.now() - started),
  };
}
