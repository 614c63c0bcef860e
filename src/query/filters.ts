/**
 * The decision filters every query shares (search, anomalies, oversight, fairness), turned into a SQL
 * condition over `decisions` aliased `x` with every user value bound as a parameter. Id filters use
 * the sorted lookup tables when they are fresh (lookups.ts), and always re-check the column itself,
 * so a stale table cannot change a result.
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import { timeParam } from './db.ts';
import type { SqlParams } from './db.ts';
import { REVIEW_TYPES_TABLE, reviewTypeMask } from './facets.ts';
import { LOOKUPS } from './lookups.ts';

export interface DecisionFilters {
  decisionId?: string;
  traceId?: string;
  taskId?: string;
  affectedUserId?: string;
  modelId?: string | string[];
  modelVersion?: string | string[];
  riskTier?: string | string[];
  consequenceLevel?: string | string[];
  environment?: string | string[];
  decisionCategory?: string | string[];
  /** The decision's final reviewer, or anyone a review event of the decision names (reviewer, escalated from / to). */
  reviewerId?: string | string[];
  /** Decisions with a review event of one of these types (created, assigned, reviewed, escalated, resolved). */
  eventType?: string | string[];
  humanReviewRequired?: boolean;
  humanReviewed?: boolean;
  humanOverride?: boolean;
  /** Decision time from (inclusive) and to (exclusive), ISO 8601. */
  from?: string;
  to?: string;
  /** Free text over ids: decision, trace, task and affected-user ids that equal it or start with it. */
  text?: string;
}

/** The filter names, for CLI and contract validation. */
export const DECISION_FILTER_KEYS = [
  'decisionId',
  'traceId',
  'taskId',
  'affectedUserId',
  'modelId',
  'modelVersion',
  'riskTier',
  'consequenceLevel',
  'environment',
  'decisionCategory',
  'reviewerId',
  'eventType',
  'humanReviewRequired',
  'humanReviewed',
  'humanOverride',
  'from',
  'to',
  'text',
] as const;

const LIST_FILTERS = {
  modelId: 'model_id',
  modelVersion: 'model_version',
  riskTier: 'risk_tier',
  consequenceLevel: 'consequence_level',
  environment: 'environment',
  decisionCategory: 'decision_category',
} as const;

const BOOLEAN_FILTERS = {
  humanReviewRequired: 'human_review_required',
  humanReviewed: 'human_reviewed',
  humanOverride: 'human_override',
} as const;

const KEY_FILTERS = {
  decisionId: 'decision_id',
  traceId: 'trace_id',
  taskId: 'task_id',
  affectedUserId: 'affected_user_id',
} as const;

const TEXT_KEYS = ['decision_id', 'trace_id', 'task_id', 'affected_user_id'] as const;

function asList(v: string | string[] | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string');
  if (list.length === 0) throw new AuditWsError('BAD_USAGE', `${what}: give at least one value`);
  return list;
}

function lookupFor(key: string): string | undefined {
  return LOOKUPS.find((l) => l.source === KIND_TABLES.decision && l.key === key)?.name;
}

/** Whether any filter narrows the decisions (an empty filter set means "all decisions"). */
export function hasFilters(f: DecisionFilters): boolean {
  return DECISION_FILTER_KEYS.some((k) => f[k] !== undefined);
}

/**
 * `sql`: a condition over `x` (TRUE when there are no filters); `params`: its bound values, named with
 * `prefix` so that the condition can be combined with a query's own parameters.
 */
export function decisionWhere(
  f: DecisionFilters,
  fresh: ReadonlySet<string>,
  prefix = 'f_',
): { sql: string; params: SqlParams } {
  const parts: string[] = [];
  const params: SqlParams = {};
  const p = (name: string, value: SqlParams[string]): string => {
    params[prefix + name] = value;
    return `$${prefix}${name}`;
  };
  const R = KIND_TABLES.review;

  for (const [name, column] of Object.entries(KEY_FILTERS) as [keyof typeof KEY_FILTERS, string][]) {
    const v = f[name];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new AuditWsError('BAD_USAGE', `${name}: give an id`);
    const ref = p(name, v);
    const lookup = lookupFor(column);
    parts.push(
      lookup && fresh.has(lookup)
        ? `x.rowid IN (SELECT rid FROM ${lookup} WHERE k = ${ref}) AND x.${column} = ${ref}`
        : `x.${column} = ${ref}`,
    );
  }
  for (const [name, column] of Object.entries(LIST_FILTERS) as [keyof typeof LIST_FILTERS, string][]) {
    const list = asList(f[name], name);
    if (list) parts.push(`list_contains(${p(name, list)}, x.${column})`);
  }
  for (const [name, column] of Object.entries(BOOLEAN_FILTERS) as [keyof typeof BOOLEAN_FILTERS, string][]) {
    const v = f[name];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new AuditWsError('BAD_USAGE', `${name}: give true or false`);
    // absent counts as false: a record that does not say it was reviewed was not
    parts.push(`coalesce(x.${column}, false) = ${p(name, v)}`);
  }
  if (f.from !== undefined) parts.push(`x."timestamp" >= ${p('from', timeParam(f.from, 'from'))}::TIMESTAMPTZ`);
  if (f.to !== undefined) parts.push(`x."timestamp" < ${p('to', timeParam(f.to, 'to'))}::TIMESTAMPTZ`);
  const reviewers = asList(f.reviewerId, 'reviewerId');
  if (reviewers) {
    const ref = p('reviewerId', reviewers);
    parts.push(`(list_contains(${ref}, x.human_reviewer_id) OR x.decision_id IN (
      SELECT r.decision_id FROM ${R} r WHERE list_contains(${ref}, r.reviewer_id) OR list_contains(${ref}, r.from_reviewer_id) OR list_contains(${ref}, r.to_reviewer_id)))`);
  }
  const types = asList(f.eventType, 'eventType');
  if (types) {
    const mask = reviewTypeMask(types);
    parts.push(
      mask !== undefined && fresh.has(REVIEW_TYPES_TABLE)
        ? `x.rowid IN (SELECT drid FROM ${REVIEW_TYPES_TABLE} WHERE types & ${p('eventMask', mask)} <> 0)`
        : `x.decision_id IN (SELECT r.decision_id FROM ${R} r WHERE list_contains(${p('eventType', types)}, r.event_type))`,
    );
  }
  if (f.text !== undefined) {
    const text = typeof f.text === 'string' ? f.text.trim() : '';
    if (text === '') throw new AuditWsError('BAD_USAGE', 'text: give some characters of an id');
    const ref = p('text', text);
    const viaLookups = TEXT_KEYS.map((k) => lookupFor(k)).filter((l): l is string => l !== undefined && fresh.has(l));
    const direct = TEXT_KEYS.map((k) => `starts_with(x.${k}, ${ref})`).join(' OR ');
    if (viaLookups.length === TEXT_KEYS.length) {
      // Strings compare as UTF-8 bytes: every id that starts with `text` sorts from it up to text + U+10FFFF,
      // a range the sorted tables' min/max statistics prune to a row group or two. The ids are not
      // re-checked on the decisions themselves: that would evaluate four prefix tests on every row.
      const upper = p('text_upper', `${text}\u{10FFFF}`);
      const rids = viaLookups
        .map((l) => `SELECT rid FROM ${l} WHERE k >= ${ref} AND k < ${upper} AND starts_with(k, ${ref})`)
        .join(' UNION ALL ');
      parts.push(`x.rowid IN (${rids})`);
    } else parts.push(`(${direct})`);
  }
  return { sql: parts.length > 0 ? parts.map((x) => `(${x})`).join(' AND ') : 'true', params };
}

/** The decision filters among a query's parameters (the rest are the query's own). */
export function pickFilters(params: object): DecisionFilters {
  const out: Record<string, unknown> = {};
  for (const k of DECISION_FILTER_KEYS) {
    const v = (params as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as DecisionFilters;
}
