import { AuditWsError } from '../../errors.ts';
import { ANOMALY_FILTERS, runAnomalies } from '../../query/anomalies/index.ts';
import { DECISION_FILTER_KEYS, type DecisionFilters } from '../../query/filters.ts';
import { fairness, type FairnessParams } from '../../query/fairness.ts';
import { oversight, type OversightParams } from '../../query/oversight.ts';
import { search, type SearchParams } from '../../query/search.ts';
import { fairnessOptions } from '../fairness-options.ts';
import { caseQueryContext } from '../query-context.ts';
import { scanLaneOf } from '../scan-lane.ts';
import { timeline } from '../../query/timeline.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalBoolean, optionalInteger, optionalString, stringArray } from '../validate.ts';
import { caseParam } from './cases.ts';

// The investigation queries (src/query), one request each: the handler checks the params' shape and the
// query itself checks their meaning (it refuses, in words, what it cannot answer).

const SEARCH_OPTIONS = [
  'anomaly',
  'anomalyParams',
  'sort',
  'facets',
  'facetSize',
  'histogram',
  'limit',
  'offset',
  'columns',
  'items',
  'count',
  'supersede',
] as const;

/** A JSON value of the simple kinds filters and parameters are made of (strings, numbers, booleans, lists of strings). */
function simpleValue(method: string, member: string, value: unknown): unknown {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    if (typeof value === 'string' && value.length > 1000)
      throw refuse(method, member, 'is longer than 1000 characters');
    return value;
  }
  if (Array.isArray(value) && value.length <= 1000 && value.every((v) => typeof v === 'string' && v.length <= 1000))
    return value;
  throw refuse(method, member, 'must be a string, a number, true or false, or a list of strings');
}

function refuse(method: string, member: string, what: string): AuditWsError {
  return new AuditWsError('BAD_USAGE', `${method}: "${member}" ${what}`, { method, member });
}

/** A plain object of simple values (anomaly parameters, a scope of filters). */
function simpleObject(method: string, member: string, value: unknown, depth = 1): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw refuse(method, member, 'must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      depth > 1 ? simpleObject(method, `${member}.${k}`, v, depth - 1) : simpleValue(method, `${member}.${k}`, v);
  }
  return out;
}

function filtersOf(method: string, p: Record<string, unknown>): DecisionFilters {
  const out: Record<string, unknown> = {};
  for (const k of DECISION_FILTER_KEYS) if (p[k] !== undefined && p[k] !== null) out[k] = simpleValue(method, k, p[k]);
  return out as DecisionFilters;
}

export const queryHandlers = {
  'query.search': {
    parse: (params) => {
      const m = 'query.search';
      const p = expectParams(m, params, ['case', ...DECISION_FILTER_KEYS, ...SEARCH_OPTIONS]);
      const out: Record<string, unknown> = { case: caseParam(m, p), ...filtersOf(m, p) };
      for (const k of ['sort', 'anomaly', 'histogram', 'supersede'] as const) {
        const v = optionalString(m, p, k, 100);
        if (v !== undefined) out[k] = v;
      }
      for (const k of ['limit', 'offset', 'facetSize'] as const) {
        const v = optionalInteger(m, p, k);
        if (v !== undefined) out[k] = v;
      }
      if (p.facets !== undefined && p.facets !== null) out.facets = stringArray(m, p, 'facets', 50, 100);
      // The explorer asks for its visible columns, and counts apart from its pages (docs/ui.md).
      if (p.columns !== undefined && p.columns !== null) out.columns = stringArray(m, p, 'columns', 50, 100);
      for (const k of ['items', 'count'] as const) {
        const v = optionalBoolean(m, p, k);
        if (v !== undefined) out[k] = v;
      }
      if (p.anomalyParams !== undefined && p.anomalyParams !== null)
        out.anomalyParams = simpleObject(m, 'anomalyParams', p.anomalyParams);
      return out as unknown as { case: string; supersede?: string } & SearchParams;
    },
    run: async ({ case: c, supersede, ...params }, context) =>
      sessionFor(context).cases.use(c, async (h) => {
        const ctx = await caseQueryContext(h);
        // The explorer's counts and facets: on the case's scan lane, a newer one from the same screen stops this.
        if (supersede !== undefined && params.items === false)
          return scanLaneOf(h).run(supersede, (duck) => search({ ...ctx, duck }, params));
        return search(ctx, params);
      }),
  },
  'query.anomalies': {
    parse: (params) => {
      const m = 'query.anomalies';
      const p = expectParams(m, params, ['case', 'only', 'params', 'scope', 'limit', 'offset']);
      const out: {
        case: string;
        only?: string[];
        params?: Record<string, Record<string, unknown>>;
        scope?: DecisionFilters;
        limit?: number;
        offset?: number;
      } = {
        case: caseParam(m, p),
      };
      if (p.only !== undefined) out.only = stringArray(m, p, 'only', 50, 100);
      if (p.params !== undefined)
        out.params = simpleObject(m, 'params', p.params, 2) as Record<string, Record<string, unknown>>;
      if (p.scope !== undefined) out.scope = filtersOf(m, simpleObject(m, 'scope', p.scope));
      const limit = optionalInteger(m, p, 'limit', { min: 1, max: 1000 });
      if (limit !== undefined) out.limit = limit;
      const offset = optionalInteger(m, p, 'offset');
      if (offset !== undefined) out.offset = offset;
      return out;
    },
    run: async ({ case: c, only, params, scope, limit, offset }, context) =>
      sessionFor(context).cases.use(c, async (h) => {
        const ctx = await caseQueryContext(h);
        const results = await runAnomalies(ctx, {
          only,
          params,
          scope,
          page: { limit: limit ?? 20, offset: offset ?? 0 },
        });
        const filters = ANOMALY_FILTERS.map((f) => ({
          id: f.id,
          title: f.title,
          explanation: f.explanation,
          subject: f.subject,
          params: f.params.map((spec) => ({ ...spec, choices: spec.choices ? [...spec.choices] : undefined })),
        }));
        return { filters, results };
      }),
  },
  'query.oversight': {
    parse: (params) => {
      const m = 'query.oversight';
      const p = expectParams(m, params, [
        'case',
        ...DECISION_FILTER_KEYS,
        'bucket',
        'shortReviewSeconds',
        'maxEscalations',
        'loops',
      ]);
      const out: Record<string, unknown> = { case: caseParam(m, p), ...filtersOf(m, p) };
      for (const k of ['bucket', 'shortReviewSeconds', 'maxEscalations'] as const)
        if (p[k] !== undefined) out[k] = simpleValue(m, k, p[k]);
      if (p.loops !== undefined) out.loops = simpleObject(m, 'loops', p.loops);
      return out as unknown as { case: string } & OversightParams;
    },
    run: async ({ case: c, ...params }, context) =>
      sessionFor(context).cases.use(c, async (h) => oversight(await caseQueryContext(h), params)),
  },
  'query.fairness': {
    parse: (params) => {
      const m = 'query.fairness';
      const keys = [
        'attribute',
        'positivePrediction',
        'positiveOutcome',
        'reference',
        'referenceRule',
        'minGroupSize',
        'basis',
      ] as const;
      const p = expectParams(m, params, ['case', ...DECISION_FILTER_KEYS, ...keys]);
      const out: Record<string, unknown> = { case: caseParam(m, p), ...filtersOf(m, p) };
      for (const k of keys) if (p[k] !== undefined && p[k] !== null && p[k] !== '') out[k] = simpleValue(m, k, p[k]);
      if (typeof out.attribute !== 'string')
        throw refuse(m, 'attribute', 'is required: the attribute whose groups are compared');
      if (typeof out.positivePrediction !== 'string') {
        throw refuse(
          m,
          'positivePrediction',
          'is required: the prediction that is favourable to the person (e.g. approve)',
        );
      }
      return out as unknown as { case: string } & FairnessParams;
    },
    run: async ({ case: c, ...params }, context) =>
      sessionFor(context).cases.use(c, async (h) => fairness(await caseQueryContext(h), params)),
  },
  'query.fairnessOptions': {
    parse: (params) => ({
      case: caseParam('query.fairnessOptions', expectParams('query.fairnessOptions', params, ['case'])),
    }),
    run: async ({ case: c }, context) => sessionFor(context).cases.use(c, (h) => fairnessOptions(h)),
  },
  'query.timeline': {
    parse: (params) => {
      const m = 'query.timeline';
      const p = expectParams(m, params, ['case', 'decisionId', 'traceId', 'taskId', 'nearbyHours', 'nearbyLimit']);
      const out: {
        case: string;
        decisionId?: string;
        traceId?: string;
        taskId?: string;
        nearbyHours?: number;
        nearbyLimit?: number;
      } = {
        case: caseParam(m, p),
      };
      for (const k of ['decisionId', 'traceId', 'taskId'] as const) {
        const v = optionalString(m, p, k, 300);
        if (v !== undefined) out[k] = v.trim();
      }
      const hours = optionalInteger(m, p, 'nearbyHours', { min: 0, max: 24 * 366 });
      if (hours !== undefined) out.nearbyHours = hours;
      const limit = optionalInteger(m, p, 'nearbyLimit', { min: 0, max: 1000 });
      if (limit !== undefined) out.nearbyLimit = limit;
      return out;
    },
    run: async ({ case: c, ...params }, context) =>
      sessionFor(context).cases.use(c, async (h) => timeline(await caseQueryContext(h), params)),
  },
} satisfies Partial<HandlerTable>;
