/**
 * Query `timeline`: everything the case holds about one decision, a trace or a review task, in time
 * order: the model's lifecycle (deployments, evaluations and whether they passed, rollbacks,
 * retirements) and which version was active at the decision, the decision with its inputs and output,
 * its explanation artefact, every review event (assignments, escalations with reasons, the review
 * with its duration and any override with its reason, the resolution), the observed outcome, and the
 * affected user's other decisions nearby. Each event carries its row reference and integrity.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RecordKind } from '../archive/kinds.ts';
import { KIND_TABLES, quoteIdent, timeColumn } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { epochUsSql, membersSql, recordOf } from './columns.ts';
import type { QueryContext } from './context.ts';
import { RowIds, isoSql, numberParam, queryRows } from './db.ts';
import type { Json, Row, SqlParams } from './db.ts';
import { refColumnsSql, worseStatus } from './integrity.ts';
import type { Integrity, IntegrityStatus, RowRef } from './integrity.ts';
import { readExplanation } from './explanations.ts';
import { LINKS_TABLE, rowsByKeys, rowsByRowid } from './lookups.ts';
import type { KeyMatch } from './lookups.ts';
import {
  EVALUATION_SEGMENTS_SQL,
  KEPT_EVALUATION_SEGMENTS,
  KEPT_LIFECYCLE_MODELS,
  KEPT_SEGMENTS_SQL,
  KEPT_VERSION_SEGMENTS,
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
  // A decision id's rowid and the rowids of its review events and outcomes, in one read (lookups.ts)
  const links =
    by === 'decisionId' && ctx.lookups.has(LINKS_TABLE)
      ? groupLinks(
          await queryRows(
            ctx.duck,
            `SELECT rid, kind, lrid FROM ${LINKS_TABLE} WHERE k = $id`,
            { id },
            { prepared: true },
          ),
        )
      : undefined;
  let decisions: Row[];
  let outcomeRows: Row[];
  let lifecycleRows: Row[];
  let modelState: ModelStateAtDecision[];
  let nearby: Promise<TimelineResult['nearby']>;
  if (links && links.length > 0 && links.length <= TIMELINE_DEFAULTS.maxDecisions) {
    // Every row the timeline needs is known by rowid, so its reads need not wait for each other: the
    // decisions are read on this connection while the review events and outcomes, and the models'
    // lifecycle and state, are read on spare ones; then the user's nearby decisions. Without spare
    // connections the same statements run one after the other on this one.
    let queue: Promise<unknown> = Promise.resolve();
    const side = <T>(work: (duck: DuckDBConnection) => Promise<T>): Promise<T> => {
      if (ctx.spare) return ctx.spare.use(work);
      const next = queue.then(() => work(ctx.duck));
      queue = next.catch(() => undefined);
      return next;
    };
    const drids = links.map((l) => l.rid);
    const all = (kind: 'reviews' | 'outcomes') => [...new Set(links.flatMap((l) => l[kind]))].sort((a, b) => a - b);
    const linkedRead = side(async (duck) => ({
      reviews: await rowsByRowid(duck, R, all('reviews'), reviewSelect, 'true', {}),
      outcomes: await rowsByRowid(
        duck,
        KIND_TABLES.outcome,
        all('outcomes'),
        selectOf('outcome'),
        'x.decision_id = $id',
        {
          id,
        },
      ),
    }));
    // the lifecycle of the decisions' models and their state, from the decision rows themselves
    const modelRead = side(async (duck) => ({
      lifecycle: await queryRows(
        duck,
        `SELECT ${selectOf('lifecycle')} FROM ${KIND_TABLES.lifecycle} x WHERE x.model_id IN (
          SELECT d.model_id FROM ${D} d WHERE d.rowid IN (SELECT unnest($drids)) AND d.decision_id = $id)`,
        { drids: new RowIds(drids), id },
        { prepared: true },
      ),
      state: await modelStateOfRowids(duck, ctx.lookups, drids, id),
    }));
    // a failure is taken up where the result is awaited, not reported as unhandled meanwhile
    linkedRead.catch(() => undefined);
    modelRead.catch(() => undefined);
    if (!ctx.spare) await Promise.allSettled([linkedRead, modelRead]);
    addRows(
      decisionRows,
      'decision',
      await rowsByRowid(ctx.duck, D, drids, `${decisionSelect}, x.rowid AS ref_rowid`, 'x.decision_id = $id', { id }),
    );
    decisions = [...decisionRows.values()].sort((a, b) => Number(a.sort_us ?? 0) - Number(b.sort_us ?? 0));
    const near = side((duck) => nearbyDecisions({ ...ctx, duck }, decisions, nearbyHours, nearbyLimit, drids));
    near.catch(() => undefined);
    nearby = near;
    const [{ reviews, outcomes }, { lifecycle, state }] = await Promise.all([linkedRead, modelRead]);
    if (!ctx.spare) await Promise.allSettled([near]);
    modelState = state;
    // each review event re-checked against the keys it was kept for: the decision id, or a decision's task
    const tasks = new Set(decisions.map((d) => s(d.taskId)).filter((x): x is string => x !== null));
    addRows(
      reviewRows,
      'review',
      reviews.filter((r) => s(r.decisionId) === id || tasks.has(s(r.taskId) ?? '')),
    );
    outcomeRows = outcomes;
    lifecycleRows = lifecycle;
    if (decisionRows.size === 0) {
      await nearby.catch(() => undefined);
      throw notFound(by, id);
    }
  } else {
    if (links) {
      addRows(
        decisionRows,
        'decision',
        await rowsByRowid(
          ctx.duck,
          D,
          links.map((l) => l.rid),
          `${decisionSelect}, x.rowid AS ref_rowid`,
          'x.decision_id = $id',
          { id },
        ),
      );
    } else if (by === 'taskId') {
      addRows(reviewRows, 'review', await byKeys(R, [{ key: 'task_id', value: id }], reviewSelect));
      const fromReviews = new Set(
        [...reviewRows.values()].map((r) => s(r.decisionId)).filter((x): x is string => x !== null),
      );
      const matches = [
        { key: 'task_id', value: id },
        ...[...fromReviews].map((d) => ({ key: 'decision_id', value: d })),
      ];
      addRows(decisionRows, 'decision', await byKeys(D, matches, decisionSelect));
    } else {
      addRows(
        decisionRows,
        'decision',
        await byKeys(D, [{ key: by === 'decisionId' ? 'decision_id' : 'trace_id', value: id }], decisionSelect),
      );
    }
    if (decisionRows.size === 0 && reviewRows.size === 0) throw notFound(by, id);
    decisions = [...decisionRows.values()].sort((a, b) => Number(a.sort_us ?? 0) - Number(b.sort_us ?? 0));
    if (decisions.length > TIMELINE_DEFAULTS.maxDecisions) {
      notices.push(
        `${decisions.length} decisions match; the timeline shows the first ${TIMELINE_DEFAULTS.maxDecisions}`,
      );
      decisions = decisions.slice(0, TIMELINE_DEFAULTS.maxDecisions);
    }
    const decisionIds = [...new Set(decisions.map((d) => s(d.decisionId)).filter((x): x is string => x !== null))];
    const taskIds = new Set(decisions.map((d) => s(d.taskId)).filter((x): x is string => x !== null));
    if (by === 'taskId') taskIds.delete(id);
    const reviewMatches = [
      ...decisionIds.map((value) => ({ key: 'decision_id', value })),
      ...[...taskIds].map((value) => ({ key: 'task_id', value })),
    ];
    const outcomeMatches = decisionIds.map((value) => ({ key: 'decision_id', value }));
    if (links) {
      // the kept rowids of the decisions shown (each row re-checked against the same keys)
      const shown = new Set(decisions.map((d) => Number(d.ref_rowid)));
      const kept = links.filter((l) => shown.has(l.rid));
      const rids = (kind: 'reviews' | 'outcomes') => [...new Set(kept.flatMap((l) => l[kind]))].sort((a, b) => a - b);
      addRows(reviewRows, 'review', await rowsByMatches(ctx, R, rids('reviews'), reviewSelect, reviewMatches));
      outcomeRows = await rowsByMatches(
        ctx,
        KIND_TABLES.outcome,
        rids('outcomes'),
        selectOf('outcome'),
        outcomeMatches,
      );
    } else {
      addRows(reviewRows, 'review', await byKeys(R, reviewMatches, reviewSelect));
      outcomeRows = await byKeys(KIND_TABLES.outcome, outcomeMatches, selectOf('outcome'));
    }
    const models = [...new Set(decisions.map((d) => s(d.modelId)).filter((x): x is string => x !== null))];
    lifecycleRows =
      models.length > 0
        ? await queryRows(
            ctx.duck,
            `SELECT ${selectOf('lifecycle')} FROM ${KIND_TABLES.lifecycle} x WHERE list_contains($models, x.model_id)`,
            { models },
            { prepared: true },
          )
        : [];
    modelState = await modelStateAt(ctx, decisions);
    nearby = Promise.resolve(
      await nearbyDecisions(
        ctx,
        decisions,
        nearbyHours,
        nearbyLimit,
        links?.map((l) => l.rid),
      ),
    );
  }

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

  let status: IntegrityStatus = 'passed';
  for (const e of events) status = worseStatus(status, e.integrity.status);

  const nearbyDone = await nearby;
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
    nearby: nearbyDone,
    integrity: { status, runId: ctx.integrity.runId, records: events.length },
    notices,
  };
}

function notFound(by: 'decisionId' | 'traceId' | 'taskId', id: string): AuditWsError {
  const what = by === 'decisionId' ? 'decision id' : by === 'traceId' ? 'trace id' : 'task id';
  return new AuditWsError('NOT_FOUND', `the case holds no decision with ${what} "${id}"`);
}

/** The rows of LINKS_TABLE for one decision id, per decision row: its rowid and its linked rowids. */
function groupLinks(rows: Row[]): { rid: number; reviews: number[]; outcomes: number[] }[] {
  const byRid = new Map<number, { rid: number; reviews: number[]; outcomes: number[] }>();
  for (const r of rows) {
    const rid = Number(r.rid);
    let l = byRid.get(rid);
    if (!l) byRid.set(rid, (l = { rid, reviews: [], outcomes: [] }));
    if (Number(r.kind) === 1) l.reviews.push(Number(r.lrid));
    else if (Number(r.kind) === 2) l.outcomes.push(Number(r.lrid));
  }
  return [...byRid.values()];
}

/** Rows of `source` by rowid, each re-checked against the key matches it was kept for. */
async function rowsByMatches(
  ctx: QueryContext,
  source: string,
  rowids: number[],
  select: string,
  matches: readonly KeyMatch[],
): Promise<Row[]> {
  if (rowids.length === 0 || matches.length === 0) return [];
  const params: SqlParams = {};
  const check = matches.map((m, i) => {
    params[`key${i}`] = m.value;
    return `x.${m.key} = $key${i}`;
  });
  return rowsByRowid(ctx.duck, source, rowids, select, `(${check.join(' OR ')})`, params);
}

/** Version state, active version and last evaluation at each decision, in SQL over the lifecycle (model-state.ts). */
async function modelStateAt(ctx: QueryContext, decisions: Row[]): Promise<ModelStateAtDecision[]> {
  const input = decisions
    .map((d, ord) => ({
      ord,
      decision_id: d.decisionId,
      model_id: d.modelId,
      model_version: d.modelVersion,
      ts: d.timestamp,
    }))
    .filter((d) => typeof d.decision_id === 'string');
  if (input.length === 0) return [];
  return modelStateOf(
    ctx.duck,
    ctx.lookups,
    `SELECT ord, decision_id, model_id, model_version, ts::TIMESTAMPTZ AS "timestamp"
      FROM (SELECT unnest(json_transform($input, '[{"ord":"BIGINT","decision_id":"VARCHAR","model_id":"VARCHAR","model_version":"VARCHAR","ts":"VARCHAR"}]'), recursive := true))`,
    { input: JSON.stringify(input) },
  );
}

/**
 * modelStateAt for decision rows known by rowid, read by the same statement (so it need not wait for
 * them): `ord` numbers them as the timeline orders its decisions (time, then rowid).
 */
function modelStateOfRowids(
  duck: DuckDBConnection,
  lookups: ReadonlySet<string>,
  rowids: readonly number[],
  id: string,
): Promise<ModelStateAtDecision[]> {
  return modelStateOf(
    duck,
    lookups,
    `SELECT row_number() OVER (ORDER BY coalesce(epoch_us(x."timestamp"), 0), x.rowid) - 1 AS ord,
        x.decision_id, x.model_id, x.model_version, x."timestamp"
      FROM ${KIND_TABLES.decision} x WHERE x.rowid IN (SELECT unnest($rowids)) AND x.decision_id = $id`,
    { rowids: new RowIds(rowids), id },
  );
}

/** Version state, active version and last evaluation of decisions `d(ord, decision_id, model_id, model_version, timestamp)`, in `ord` order. */
async function modelStateOf(
  duck: DuckDBConnection,
  lookups: ReadonlySet<string>,
  decisionsSql: string,
  params: SqlParams,
): Promise<ModelStateAtDecision[]> {
  // the segments as kept with the lookup tables when they are fresh, else made from the lifecycle now
  const kept = [KEPT_VERSION_SEGMENTS, KEPT_EVALUATION_SEGMENTS, KEPT_LIFECYCLE_MODELS].every((t) => lookups.has(t));
  const rows = await queryRows(
    duck,
    `WITH ${kept ? KEPT_SEGMENTS_SQL : `${VERSION_SEGMENTS_SQL}, ${EVALUATION_SEGMENTS_SQL}`},
    d AS (${decisionsSql}),
    active AS (
      SELECT d.decision_id, arg_max(vs.model_version, vs.from_ts) AS active_version
      FROM d JOIN version_segments vs ON vs.model_id = d.model_id AND vs.state = 'deployed' AND d."timestamp" >= vs.from_ts AND d."timestamp" < vs.to_ts
      GROUP BY d.decision_id
    )
    SELECT d.decision_id, d.model_id, d.model_version, ${versionStateSql('d', 'vs')} AS version_state, active.active_version,
      es.event_id AS eval_event_id, ${isoSql('es.from_ts')} AS eval_at, es.passed AS eval_passed, es.failed_metrics
    FROM d ${versionSegmentJoinSql('d', 'vs')} ${evaluationSegmentJoinSql('d', 'es')}
    LEFT JOIN active ON active.decision_id = d.decision_id
    ORDER BY d.ord`,
    params,
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

const USER_LOOKUP = 'lookup_decisions_affected_user_id';
const ID_LOOKUP = 'lookup_decisions_decision_id';
const cmp = (a: Json | undefined, b: Json | undefined): number => {
  const x = a === null || a === undefined ? '' : String(a);
  const y = b === null || b === undefined ? '' : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The affected users' other decisions within `hours` of the timeline's decisions. `ownRids`: the rowids
 * of every decision row carrying one of the timeline's decision ids, when the caller knows them.
 */
async function nearbyDecisions(
  ctx: QueryContext,
  decisions: Row[],
  hours: number,
  limit: number,
  ownRids?: number[],
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
  // Through the sorted user table: the rows to leave out are every row carrying one of the timeline's
  // own decision ids (known to the caller, or found in the decision id table); else by a scan.
  let exclude: number[] | undefined;
  if (byUser.size > 0 && ctx.lookups.has(USER_LOOKUP)) {
    if (ownRids) exclude = ownRids;
    else if (own.length === 0) exclude = [];
    else if (ctx.lookups.has(ID_LOOKUP)) {
      const params: SqlParams = {};
      const sql = own
        .map((id, i) => {
          params[`key${i}`] = id;
          return `SELECT rid FROM ${ID_LOOKUP} WHERE k = $key${i}`;
        })
        .join(' UNION ');
      exclude = (await queryRows(ctx.duck, sql, params, { prepared: true })).map((r) => Number(r.rid));
    }
  }
  for (const [user, w] of byUser) {
    const from = new Date(w.min - hours * 3_600_000).toISOString();
    const to = new Date(w.max + hours * 3_600_000).toISOString();
    const p: SqlParams = own.length > 0 ? { user, from, to, own } : { user, from, to };
    let rows: Row[];
    let total: number;
    if (exclude) {
      // the user's decisions in the window from the sorted table, less the rows of the timeline's own ids
      const rids = await queryRows(
        ctx.duck,
        `SELECT rid, count(*) OVER () AS total FROM ${USER_LOOKUP} WHERE k = $user AND t >= $from::TIMESTAMPTZ AND t <= $to::TIMESTAMPTZ AND NOT list_contains($exclude, rid) ORDER BY t, rid LIMIT ${Math.max(limit, 1)}`,
        { user, from, to, exclude: new RowIds(exclude) },
        { prepared: true },
      );
      total = rids.length > 0 ? Number(rids[0].total) : 0;
      rows = await rowsByRowid(
        ctx.duck,
        D,
        rids.slice(0, limit).map((r) => Number(r.rid)),
        `${select}, epoch_us(x."timestamp") AS sort_us`,
        `x.affected_user_id = $user${own.length > 0 ? ' AND (x.decision_id IS NULL OR NOT list_contains($own, x.decision_id))' : ''}`,
        own.length > 0 ? { user, own } : { user },
      );
      // in the order the scan below gives: time, then file and line
      rows.sort(
        (a, b) =>
          Number(a.sort_us) - Number(b.sort_us) ||
          cmp(a.ref_source_file, b.ref_source_file) ||
          Number(a.ref_line ?? 0) - Number(b.ref_line ?? 0) ||
          Number(a.ref_row ?? 0) - Number(b.ref_row ?? 0),
      );
    } else {
      const where = `FROM ${D} x WHERE x.affected_user_id = $user AND x."timestamp" >= $from::TIMESTAMPTZ AND x."timestamp" <= $to::TIMESTAMPTZ${own.length > 0 ? ' AND (x.decision_id IS NULL OR NOT list_contains($own, x.decision_id))' : ''}`;
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
