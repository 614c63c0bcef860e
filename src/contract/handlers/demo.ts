import { ensureDemoCase } from '../demo-case.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectNoParams } from '../validate.ts';
import { describeDemo } from '../workspace.ts';

export const demoHandlers = {
  'demo.describe': {
    parse: (params) => expectNoParams('demo.describe', params),
    run: async (_params, context) => describeDemo(context.workspace),
  },
  'demo.ensureCase': {
    parse: (params) => expectNoParams('demo.ensureCase', params),
    run: async (_params, context) => ensureDemoCase(sessionFor(context), context.workspace),
  },
} satisfies Partial<HandlerTable>;
