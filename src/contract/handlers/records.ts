import { AuditWsError } from '../../errors.ts';
import { findRecords, type RecordLocator } from '../records.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalChoice, optionalInteger, optionalString } from '../validate.ts';
import { caseParam } from './cases.ts';

const KINDS = ['decision', 'lifecycle', 'review', 'outcome'] as const;

export const recordsHandlers = {
  'records.get': {
    parse: (params) => {
      const m = 'records.get';
      const p = expectParams(m, params, ['case', 'kind', 'target', 'stream', 'seq', 'file', 'line', 'row']);
      const loc: RecordLocator = {};
      const kind = optionalChoice(m, p, 'kind', KINDS);
      if (kind) loc.kind = kind;
      const target = optionalString(m, p, 'target', 1000);
      if (target) loc.target = target;
      const stream = optionalString(m, p, 'stream', 200);
      if (stream) loc.stream = stream;
      const seq = optionalInteger(m, p, 'seq');
      if (seq !== undefined) loc.seq = seq;
      const file = optionalString(m, p, 'file', 4096);
      if (file) loc.file = file;
      const line = optionalInteger(m, p, 'line', { min: 1 });
      if (line !== undefined) loc.line = line;
      const row = optionalInteger(m, p, 'row', { min: 1 });
      if (row !== undefined) loc.row = row;
      if (!loc.target && !(loc.stream && loc.seq !== undefined) && !(loc.file && (loc.line || loc.row))) {
        throw new AuditWsError(
          'BAD_USAGE',
          `${m}: name the record by target, by stream and seq, or by file and line (or row)`,
        );
      }
      return { case: caseParam(m, p), ...loc };
    },
    run: async ({ case: c, ...loc }, context) =>
      sessionFor(context).cases.use(c, async (h) => ({ matches: await findRecords(h, loc) })),
  },
} satisfies Partial<HandlerTable>;
