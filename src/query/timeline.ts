/**
 * Query `timeline`: everything the case holds about one decision, a trace or a review task, in time
 * order: the model's lifecycle (deployments, evaluations and whether they passed, rollbacks,
 * retirements) and which version was active at the decision, the decision with its inputs and output,
 * its explanation artefact, every review event (assignments, escalations with reasons, the review
 * with its duration and any override with its reason, the resolution), the observed outcome, and the
 * affected user's other decisions nearby. Each event carries its row reference and integrity.
 */
import type { RecordKind } from '../archive/kinds.ts';
import { KIND_TABLES, quoteIdent, timeColumn } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { epochUsSql, membersSql, recordOf } from './columns.ts';
import type { QueryContext } from './context.ts';
import { isoSql, numberParam, queryRows } from './db.ts';
import type { Json, Row, SqlParams } from './db.ts';
import { refColumnsSql, worseStatus } from './integrity.ts';
import type { Integrity, IntegrityStatus, RowRef } from './integrity.ts';
import { readExplanation } from './explanations.ts';
import { rowsByKeys, rowsByRowid } from './lookups.ts';
import type { KeyMatch } from './lookups.ts';
import {
  EVALUATION_SEGMENTS_SQL,
  VERSION_SEGMENTS_SQL,
  evaluationSegmentJoinSql,
  versionSegmentJoinSql,
  versionStateSql,
} from './model-state.ts';
import type { VersionState } from './model-state.ts';

export interface TimelineParams {
  decisionId?: string;
  traceId?: string;
  taskId?: string;
  /** Hours either side of the decision(s) in which the affected user's other decisions are listed (default 168: a week). */
  nearbyHours?: number;
  /** Most nearby decisions listed per user (default 20); `total` counts them all. */
  nearbyLimit?: number;
}

export const TIMELINE_DEFAULTS = { nearbyHours: 168, nearbyLimit: 20, maxDecisions: 200 } as const;

export type TimelineEventKind = 'lifecycle' | 'decision' | 'explanation' | 'review' | 'outcome';

export interface TimelineEvent {
  /** ISO 8601 UTC (microseconds when the source had them), null when the record's time did not parse. */
  at: string | null;
  /** The time exactly as the record wrote it (an RFC 3339 string or epoch seconds). */
  atText: string | null;
  kind: TimelineEventKind;
  /** Lifecycle or review eventType, or 'decision', 'explanation', 'outcome'. */
  type: string;
  decisionId: string | null;
  /** One line for people. */
  summary: string;
  /** The record's members (camelCase), or the explanation artefact. */
  details: Record<string, Json>;
  ref: RowRef | null;
  integrity: Integrity;
}

export interface ModelStateAtDecision {
  decisionId: string;
  modelId: string | null;
  modelVersion: string | null;
  /** What the lifecycle says about this version at the decision time (model-state.ts). */
  versionState: VersionState;
  /** The version the lifecycle shows serving this model at that time (the latest deployed one still live). */
  activeVersion: string | null;
  /** The version's latest evaluation before the decision. */
  lastEvaluation: { eventId: string | null; at: string | null; passed: boolean; failedMetrics: string[] } | null;
}

export interface NearbyDecision {
  decisionId: string | null;
  at: string | null;
  modelId: string | null;
  modelVersion: string | null;
  prediction: Json;
  humanOverride: boolean | null;
  ref: RowRef;
  integrity: Integrity;
}

export interface TimelineResult {
  subject: { by: 'decisionId' | 'traceId' | 'taskId'; id: string };
  decisions: {
    decisionId: string | null;
    at: string | null;
    record: Record<string, Json>;
    ref: RowRef;
    integrity: Integrity;
  }[];
  modelState: ModelStateAtDecision[];
  events: TimelineEvent[];
  nearby: { affectedUserId: string; from: string; to: string; total: number; decisions: NearbyDecision[] }[];
  /** The worst integrity status among the timeline's records. */
  integrity: { status: IntegrityStatus; runId: number | null; records: number };
  notices: string[];
}

interface Sorted {
  sortUs: number | null;
  order: number;
  event: TimelineEvent;
}

const KIND_ORDER: Record<TimelineEventKind, number> = {
  lifecycle: 0,
  decision: 1,
  explanation: 2,
  review: 3,
  outcome: 4,
};
const REVIEW_ORDER: Record<string, number> = { created: 0, assigned: 1, escalated: 2, reviewed: 3, resolved: 4 };

const s = (v: Json | undefined): string | null =>
  typeof v === 'string' ? v : v === null || v === undefined ? null : JSON.stringify(v);

function selectOf(kind: RecordKind): string {
  return `${membersSql(kind, 'x')}, ${epochUsSql(`x.${quoteIdent(timeColumn(kind))}`)} AS sort_us`;
}

function refKey(r: RowRef): string {
  return `${r.table}|${r.sourceFile}|${r.line}|${r.row}|${r.stream}|${r.seq}|${r.importId}`;
}

export async function timeline(ctx: QueryContext, params: TimelineParams): Promise<TimelineResult> {
  const given = (['decisionId', 'traceId', 'taskId'] as const).filter(
    (k) => typeof params[k] === 'string' && params[k] !== '',
  );
  if (given.length !== 1)
    throw new AuditWsError('BAD_USAGE', 'timeline needs exactly one of a decision id, a trace id or a task id');
  const by = given[0];
  const id = params[by] as string;
  const nearbyHours = numberParam(params.nearbyHours ?? TIMELINE_DEFAULTS.nearbyHours, 'nearby hours', 0, 24 * 366);
  const nearbyLimit = numberParam(params.nearbyLimit ?? TIMELINE_DEFAULTS.nearbyLimit, 'nearby limit', 0, 1000, true);
  const notices: string[] = [];
  const D = KIND_TABLES.decision;
  const R = KIND_TABLES.review;

  // The decisions, and the review events of their tasks.
  const decisionRows = new Map<string, Row>();
  const reviewRows = new Map<string, Row>();
  const addRows = (into: Map<string, Row>, kind: RecordKind, rows: Row[]) => {
    for (const r of rows) into.set(refKey(recordOf(kind, r).ref), r);
  };
  const decisionSelect = selectOf('decision');
  const reviewSelect = selectOf('review');
  const byKeys = (source: string, matches: KeyMatch[], select: string) =>
    rowsByKeys(ctx.duck, ctx.lookups, source, matches, select);
  if (by === 'taskId') {
    addRows(reviewRows, 'review', await byKeys(R, [{ key: 'task_id', value: id }], reviewSelect));
    const fromReviews = new Set(
      [...reviewRows.values()].map((r) => s(r.decisionId)).filter((x): x is string => x !== null),
    );
    const matches = [{ key: 'task_id', value: id }, ...[...fromReviews].map((d) => ({ key: 'decision_id', value: d }))];
    addRows(decisionRows, 'decision', await byKeys(D, matches, decisionSelect));
  } else {
    addRows(
      decisionRows,
      'decision',
      await byKeys(D, [{ key: by === 'decisionId' ? 'decision_id' : 'trace_id', value: id }], decisionSelect),
    );
  }
  if (decisionRows.size === 0 && reviewRows.size === 0) {
    const what = by === 'decisionId' ? 'decision id' : by === 'traceId' ? 'trace id' : 'task id';
    throw new AuditWsError('NOT_FOUND', `the case holds no decision with ${what} "${id}"`);
  }
  let decisions = [...decisionRows.values()].sort((a, b) => Number(a.sort_us ?? 0) - Number(b.sort_us ?? 0));
  if (decisions.length > TIMELINE_DEFAULTS.maxDecisions) {
    notices.push(`${decisions.length} decisions match; the timeline shows the first ${TIMELINE_DEFAULTS.maxDecisions}`);
    decisions = decisions.slice(0, TIMELINE_DEFAULTS.maxDecisions);
  }
  const decisionIds = [...new Set(decisions.map((d) => s(d.decisionId)).filter((x): x is string => x !== null))];
  const taskIds = new Set(decisions.map((d) => s(d.taskId)).filter((x): x is string => x !== null));
  if (by === 'taskId') taskIds.delete(id);
  addRows(
    reviewRows,
    'review',
    await byKeys(
      R,
      [
        ...decisionIds.map((value) => ({ key: 'decision_id', value })),
        ...[...taskIds].map((value) => ({ key: 'task_id', value })),
      ],
      reviewSelect,
    ),
  );
  const outcomeRows = await byKeys(
    KIND_TABLES.outcome,
    decisionIds.map((value) => ({ key: 'decision_id', value })),
    selectOf('outcome'),
  );

  const models = [...new Set(decisions.map((d) => s(d.modelId)).filter((x): x is string => x !== null))];
  const lifecycleRows =
    models.length > 0
      ? await queryRows(
          ctx.duck,
          `SELECT ${selectOf('lifecycle')} FROM ${KIND_TABLES.lifecycle} x WHERE list_contains($models, x.model_id)`,
          { models },
          { prepared: true },
        )
      : [];

  const modelState = await modelStateAt(ctx, decisions);

  const sorted: Sorted[] = [];
  const push = (
    kind: TimelineEventKind,
    row: Row,
    recordKind: RecordKind,
    type: string,
    summary: string,
    order: number,
  ) => {
    const { record, ref } = recordOf(recordKind, row);
    const timeMember = recordKind === 'outcome' ? 'observedAt' : 'timestamp';
    const event: TimelineEvent = {
      at: s(record[timeMember]),
      atText: s(record[`${timeMember}Text`]),
      kind,
      type,
      decisionId: s(record.decisionId),
      summary,
      details: record,
      ref,
      integrity: ctx.integrity.of(ref),
    };
    sorted.push({ sortUs: row.sort_us === null ? null : Number(row.sort_us), order, event });
  };

  for (const r of lifecycleRows)
    push('lifecycle', r, 'lifecycle', s(r.eventType) ?? 'lifecycle', lifecycleSummary(r), KIND_ORDER.lifecycle);
  const overrides = new Map<string, Row>();
  for (const d of decisions) {
    push('decision', d, 'decision', 'decision', decisionSummary(d), KIND_ORDER.decision);
    if (d.humanOverride === true && typeof d.decisionId === 'string') overrides.set(d.decisionId, d);
    const ref = s(d.explanationRef);
    if (ref) {
      const artefact = await readExplanation(ctx.sqlite, ref);
      if ('missing' in artefact) {
        notices.push(`decision ${s(d.decisionId)} names explanation ${ref}: ${artefact.missing}`);
        continue;
      }
      let value: Json;
      try {
        value = JSON.parse(artefact.bytes.toString('utf8')) as Json;
      } catch {
        value = artefact.bytes.toString('utf8');
      }
      const integrity = ctx.integrity.ofFile(artefact.path);
      if (!artefact.unchanged) {
        integrity.status = 'failed';
        integrity.checks.push({
          check: 'explanation-unchanged',
          status: 'fail',
          message: `${artefact.path} differs from the file imported (SHA-256)`,
        });
      }
      sorted.push({
        sortUs: d.sort_us === null ? null : Number(d.sort_us),
        order: KIND_ORDER.explanation,
        event: {
          at: s(d.timestamp),
          atText: s(d.timestampText),
          kind: 'explanation',
          type: 'explanation',
          decisionId: s(d.decisionId),
          summary: explanationSummary(ref, value),
          details: { explanationRef: ref, path: artefact.path, artefact: value },
          ref: null,
          integrity,
        },
      });
    }
  }
  for (const r of reviewRows.values()) {
    const type = s(r.eventType) ?? 'review';
    const d = overrides.get(s(r.decisionId) ?? '');
    push('review', r, 'review', type, reviewSummary(r, d), KIND_ORDER.review + (REVIEW_ORDER[type] ?? 5) / 10);
  }
  for (const r of outcomeRows)
    push(
      'outcome',
      r,
      'outcome',
      'outcome',
      `outcome observed: ${s(r.outcome) ?? '?'}${r.source ? ` (source: ${s(r.source)})` : ''}`,
      KIND_ORDER.outcome,
    );

  sorted.sort((a, b) => {
    if (a.sortUs === null || b.sortUs === null)
      return a.sortUs === b.sortUs ? a.order - b.order : a.sortUs === null ? 1 : -1;
    return a.sortUs - b.sortUs || a.order - b.order || (a.event.ref?.seq ?? 0) - (b.event.ref?.seq ?? 0);
  });
  const events = sorted.map((x) => x.event);

  const nearby = await nearbyDecisions(ctx, decisions, nearbyHours, nearbyLimit);
  let status: IntegrityStatus = 'passed';
  for (const e of events) status = worseStatus(status, e.integrity.status);

  return {
    subject: { by, id },
    decisions: decisions.map((d) => {
      const { record, ref } = recordOf('decision', d);
      return {
        decisionId: s(record.decisionId),
        at: s(record.timestamp),
        record,
        ref,
        integrity: ctx.integrity.of(ref),
      };
    }),
    modelState,
    events,
    nearby,
    integrity: { status, runId: ctx.integrity.runId, records: events.length },
    notices,
  };
}

/** Version state, active version and last evaluation at each decision, in SQL over the lifecycle (model-state.ts). */
async function modelStateAt(ctx: QueryContext, decisions: Row[]): Promise<ModelStateAtDecision[]> {
  const input = decisions
    .filter((d) => typeof d.decisionId === 'string')
    .map((d) => ({ decision_id: d.decisionId, model_id: d.modelId, model_version: d.modelVersion, ts: d.timestamp }));
  if (input.length === 0) return [];
  const rows = await queryRows(
    ctx.duck,
    `WITH ${VERSION_SEGMENTS_SQL}, ${EVALUATION_SEGMENTS_SQL},
    d AS (
      SELECT decision_id, model_id, model_version, ts::TIMESTAMPTZ AS "timestamp"
      FROM (SELECT unnest(json_transform($input, '[{"decision_id":"VARCHAR","model_id":"VARCHAR","model_version":"VARCHAR","ts":"VARCHAR"}]'), recursive := true))
    ),
    active AS (
      SELECT d.decision_id, arg_max(vs.model_version, vs.from_ts) AS active_version
      FROM d JOIN version_segments vs ON vs.model_id = d.model_id AND vs.state = 'deployed' AND d."timestamp" >= vs.from_ts AND d."timestamp" < vs.to_ts
      GROUP BY d.decision_id
    )
    SELECT d.decision_id, d.model_id, d.model_version, ${versionStateSql('d', 'vs')} AS version_state, active.active_version,
      es.event_id AS eval_event_id, ${isoSql('es.from_ts')} AS eval_at, es.passed AS eval_passed, es.failed_metrics
    FROM d ${versionSegmentJoinSql('d', 'vs')} ${evaluationSegmentJoinSql('d', 'es')}
    LEFT JOIN active ON active.decision_id = d.decision_id`,
    { input: JSON.stringify(input) },
    { prepared: true },
  );
  return rows.map((r) => ({
    decisionId: String(r.decision_id),
    modelId: s(r.model_id),
    modelVersion: s(r.model_version),
    versionState: String(r.version_state) as VersionState,
    activeVersion: s(r.active_version),
    lastEvaluation:
      r.eval_passed === null
        ? null
        : {
            eventId: s(r.eval_event_id),
            at: s(r.eval_at),
            passed: r.eval_passed === true,
            failedMetrics: (r.failed_metrics as string[] | null) ?? [],
          },
  }));
}

async function nearbyDecisions(
  ctx: QueryContext,
  decisions: Row[],
  hours: number,
  limit: number,
): Promise<TimelineResult['nearby']> {
  const byUser = new Map<string, { min: number; max: number }>();
  for (const d of decisions) {
    const u = s(d.affectedUserId);
    const t = typeof d.timestamp === 'string' ? Date.parse(d.timestamp) : NaN;
    if (!u || !Number.isFinite(t)) continue;
    const w = byUser.get(u) ?? { min: t, max: t };
    byUser.set(u, { min: Math.min(w.min, t), max: Math.max(w.max, t) });
  }
  const own = [...new Set(decisions.map((d) => s(d.decisionId)).filter((x): x is string => x !== null))];
  const out: TimelineResult['nearby'] = [];
  const D = KIND_TABLES.decision;
  const select = `x.decision_id AS "decisionId", ${isoSql('x."timestamp"')} AS "at", x.model_id AS "modelId", x.model_version AS "modelVersion",
    x.prediction, x.human_override AS "humanOverride", ${refColumnsSql('x')}`;
  for (const [user, w] of byUser) {
    const from = new Date(w.min - hours * 3_600_000).toISOString();
    const to = new Date(w.max + hours * 3_600_000).toISOString();
    const p: SqlParams = own.length > 0 ? { user, from, to, own } : { user, from, to };
    const lookup = 'lookup_decisions_affected_user_id';
    const ownHere = decisions.filter((d) => s(d.affectedUserId) === user && typeof d.timestamp === 'string').length;
    let rows: Row[];
    let total: number;
    if (ctx.lookups.has(lookup)) {
      // the user's decisions in the window from the sorted table (own ones included, dropped below)
      const rids = await queryRows(
        ctx.duck,
        `SELECT rid, count(*) OVER () AS total FROM ${lookup} WHERE k = $user AND t >= $from::TIMESTAMPTZ AND t <= $to::TIMESTAMPTZ ORDER BY t, rid LIMIT ${limit + ownHere}`,
        { user, from, to },
        { prepared: true },
      );
      total = rids.length > 0 ? Math.max(0, Number(rids[0].total) - ownHere) : 0;
      rows = await rowsByRowid(
        ctx.duck,
        D,
        rids.map((r) => Number(r.rid)),
        `${select}, epoch_us(x."timestamp") AS sort_us`,
        'x.affected_user_id = $user',
        { user },
      );
      rows = rows
        .filter((r) => !own.includes(String(r.decisionId)))
        .sort((a, b) => Number(a.sort_us) - Number(b.sort_us))
        .slice(0, limit);
    } else {
      const where = `FROM ${D} x WHERE x.affected_user_id = $user AND x."timestamp" >= $from::TIMESTAMPTZ AND x."timestamp" <= $to::TIMESTAMPTZ${own.length > 0 ? ' AND NOT list_contains($own, x.decision_id)' : ''}`;
      total = Number((await queryRows(ctx.duck, `SELECT count(*) AS n ${where}`, p, { prepared: true }))[0].n);
      rows =
        limit > 0
          ? await queryRows(
              ctx.duck,
              `SELECT ${select} ${where} ORDER BY x."timestamp", x.source_file, x.line, x."row" LIMIT ${limit}`,
              p,
              { prepared: true },
            )
          : [];
    }
    out.push({
      affectedUserId: user,
      from,
      to,
      total,
      decisions: rows.map((r) => {
        const ref = recordOf('decision', r).ref;
        return {
          decisionId: s(r.decisionId),
          at: s(r.at),
          modelId: s(r.modelId),
          modelVersion: s(r.modelVersion),
          prediction: r.prediction ?? null,
          humanOverride: typeof r.humanOverride === 'boolean' ? r.humanOverride : null,
          ref,
          integrity: ctx.integrity.of(ref),
        };
      }),
    });
  }
  return out;
}

function decisionSummary(d: Row): string {
  const conf = typeof d.confidence === 'number' ? ` (confidence ${d.confidence})` : '';
  const review =
    d.humanReviewRequired === true
      ? d.humanReviewed === true
        ? '; human review done'
        : '; human review required, not done'
      : '';
  const override =
    d.humanOverride === true
      ? `; overridden by ${s(d.humanReviewerId) ?? 'a reviewer'} to ${s(d.humanDecision) ?? '?'}: ${s(d.overrideReason) ?? 'no reason given'}`
      : '';
  return `${s(d.modelId) ?? '?'} ${s(d.modelVersion) ?? '?'} predicted ${s(d.prediction) ?? '?'}${conf}${review}${override}`;
}

function lifecycleSummary(r: Row): string {
  const head = `${s(r.modelId) ?? '?'} ${s(r.modelVersion) ?? '?'} ${s(r.eventType) ?? '?'}${r.actor ? ` by ${s(r.actor)}` : ''}`;
  if (r.eventType !== 'evaluation_completed') return head;
  let results: unknown;
  try {
    results = typeof r.evaluationResults === 'string' ? JSON.parse(r.evaluationResults) : r.evaluationResults;
  } catch {
    results = undefined;
  }
  if (!Array.isArray(results)) return head;
  const failed = results.filter((x) => x && typeof x === 'object' && (x as { passed?: unknown }).passed === false);
  return failed.length === 0
    ? `${head}: passed (${results.length} metrics)`
    : `${head}: FAILED ${failed.map((f) => `${String((f as { metric?: unknown }).metric)} ${String((f as { value?: unknown }).value)} vs threshold ${String((f as { threshold?: unknown }).threshold)}`).join(', ')}`;
}

function reviewSummary(r: Row, overridden: Row | undefined): string {
  const who = s(r.reviewerId);
  switch (r.eventType) {
    case 'created':
      return `review task ${s(r.taskId) ?? ''} created`;
    case 'assigned':
      return `assigned to ${who ?? '?'}`;
    case 'escalated':
      return `escalated from ${s(r.fromReviewerId) ?? '?'} to ${s(r.toReviewerId) ?? '?'}: ${s(r.reason) ?? 'no reason given'}`;
    case 'reviewed': {
      const secs = typeof r.durationMs === 'number' ? ` in ${(r.durationMs / 1000).toFixed(1)} s` : '';
      let rationale = '';
      try {
        const j =
          typeof r.rationale === 'string' ? (JSON.parse(r.rationale) as { text?: string; code?: string }) : undefined;
        if (j) rationale = ` (${[j.code, j.text].filter(Boolean).join(': ')})`;
      } catch {
        rationale = '';
      }
      const override =
        overridden && s(overridden.humanReviewerId) === who
          ? `; overrides the model: ${s(overridden.overrideReason) ?? 'no reason given'}`
          : '';
      return `${who ?? '?'} reviewed: ${s(r.action) ?? '?'}${secs}${rationale}${override}`;
    }
    case 'resolved':
      return `resolved${who ? ` by ${who}` : ''}: ${s(r.resolution) ?? '?'}`;
    default:
      return `${s(r.eventType) ?? 'review event'}${who ? ` (${who})` : ''}`;
  }
}

function explanationSummary(ref: string, v: Json): string {
  const attributions = v && typeof v === 'object' && !Array.isArray(v) ? v.attributions : undefined;
  if (!Array.isArray(attributions) || attributions.length === 0) return `explanation ${ref}`;
  const top = attributions
    .slice(0, 3)
    .map((a) =>
      a && typeof a === 'object' && !Array.isArray(a) ? `${String(a.feature)} ${String(a.contribution)}` : String(a),
    )
    .join(', ');
  return `explanation ${ref}: top attributions ${top}`;
}
