import { queryContext } from '../../query/context.ts';
import { timeline } from '../../query/timeline.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalInteger, optionalString } from '../validate.ts';
import { caseParam } from './cases.ts';

// The investigation queries (src/query), one request each: the handler checks the params' shape and the
// query itself checks their meaning (it refuses, in words, what it cannot answer).

export const queryHandlers = {
  'query.timeline': {
    parse: (params) => {
      const m = 'query.timeline';
      const p = expectParams(m, params, ['case', 'decisionId', 'traceId', 'taskId', 'nearbyHours', 'nearbyLimit']);
      const out: { case: string; decisionId?: string; traceId?: string; taskId?: string; nearbyHours?: number; nearbyLimit?: number } = {
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
      sessionFor(context).cases.use(c, async (h) => timeline(await queryContext(h), params)),
  },
} satisfies Partial<HandlerTable>;
