import { inspectArchive } from '../../archive/inspect.ts';
import { toPlainJson } from '../plain-json.ts';
import type { HandlerTable, ResultOf } from '../types.ts';
import { expectParams, requireAbsolutePath } from '../validate.ts';

export const archiveHandlers = {
  'archive.inspect': {
    parse: (params) => ({
      path: requireAbsolutePath('archive.inspect', expectParams('archive.inspect', params, ['path']), 'path'),
    }),
    run: async ({ path }) => toPlainJson(await inspectArchive(path)) as ResultOf<'archive.inspect'>,
  },
} satisfies Partial<HandlerTable>;
