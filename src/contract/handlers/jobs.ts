import { MAX_WAIT_MS } from '../jobs.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalInteger, optionalString, requireString } from '../validate.ts';

export const jobsHandlers = {
  'jobs.get': {
    parse: (params) => {
      const p = expectParams('jobs.get', params, ['id', 'afterVersion', 'waitMs']);
      return {
        id: requireString('jobs.get', p, 'id', 100),
        afterVersion: optionalInteger('jobs.get', p, 'afterVersion', {}, 0),
        waitMs: optionalInteger('jobs.get', p, 'waitMs', { max: MAX_WAIT_MS }, 0),
      };
    },
    run: async ({ id, afterVersion, waitMs }, context) =>
      sessionFor(context).jobs.wait(id, afterVersion ?? 0, waitMs ?? 0),
  },
  'jobs.cancel': {
    parse: (params) => ({ id: requireString('jobs.cancel', expectParams('jobs.cancel', params, ['id']), 'id', 100) }),
    run: async ({ id }, context) => sessionFor(context).jobs.cancel(id),
  },
  'jobs.list': {
    parse: (params) => {
      const c = optionalString('jobs.list', expectParams('jobs.list', params, ['case']), 'case', 300);
      return c === undefined ? {} : { case: c };
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      return session.jobs.list(params.case === undefined ? {} : { case: session.cases.slugOf(params.case) });
    },
  },
} satisfies Partial<HandlerTable>;
