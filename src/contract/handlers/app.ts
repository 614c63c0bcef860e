import { TOOL_NAME, TOOL_VERSION } from '../../version.ts';
import type { HandlerTable } from '../types.ts';
import { expectNoParams } from '../validate.ts';

export const appHandlers = {
  'app.info': {
    parse: (params) => expectNoParams('app.info', params),
    run: async (_params, context) => ({
      toolName: TOOL_NAME,
      toolVersion: TOOL_VERSION,
      mode: context.mode,
      workspace: context.workspace,
    }),
  },
} satisfies Partial<HandlerTable>;
