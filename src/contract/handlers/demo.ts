import type { HandlerTable } from '../types.ts';
import { expectNoParams } from '../validate.ts';
import { describeDemo } from '../workspace.ts';

export const demoHandlers = {
  'demo.describe': {
    parse: (params) => expectNoParams('demo.describe', params),
    run: async (_params, context) => describeDemo(context.workspace),
  },
} satisfies Partial<HandlerTable>;
