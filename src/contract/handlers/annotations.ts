import { addAnnotation, deleteAnnotation, listAnnotations, updateAnnotation } from '../annotations.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import {
  expectParams,
  optionalBoolean,
  optionalString,
  requireInteger,
  requireString,
  stringArray,
} from '../validate.ts';
import { caseParam } from './cases.ts';

function change(method: string, p: Record<string, unknown>) {
  const out: { text?: string; tags?: string[]; starred?: boolean } = {};
  if (p.text !== undefined)
    out.text = typeof p.text === 'string' && p.text === '' ? '' : optionalString(method, p, 'text', 10_000);
  if (p.tags !== undefined) out.tags = stringArray(method, p, 'tags', 50, 60);
  const starred = optionalBoolean(method, p, 'starred');
  if (starred !== undefined) out.starred = starred;
  return out;
}

export const annotationsHandlers = {
  'annotations.list': {
    parse: (params) => {
      const p = expectParams('annotations.list', params, ['case', 'target']);
      const target = optionalString('annotations.list', p, 'target', 1000);
      return target === undefined
        ? { case: caseParam('annotations.list', p) }
        : { case: caseParam('annotations.list', p), target };
    },
    run: async (params, context) =>
      sessionFor(context).cases.use(params.case, (h) => listAnnotations(h.sqlite, params.target)),
  },
  'annotations.add': {
    parse: (params) => {
      const p = expectParams('annotations.add', params, ['case', 'target', 'text', 'tags', 'starred']);
      return {
        case: caseParam('annotations.add', p),
        target: requireString('annotations.add', p, 'target', 1000),
        ...change('annotations.add', p),
      };
    },
    run: async ({ case: c, ...input }, context) => sessionFor(context).cases.use(c, (h) => addAnnotation(h, input)),
  },
  'annotations.update': {
    parse: (params) => {
      const p = expectParams('annotations.update', params, ['case', 'id', 'text', 'tags', 'starred']);
      return {
        case: caseParam('annotations.update', p),
        id: requireInteger('annotations.update', p, 'id', { min: 1 }),
        ...change('annotations.update', p),
      };
    },
    run: async ({ case: c, id, ...rest }, context) =>
      sessionFor(context).cases.use(c, (h) => updateAnnotation(h, id, rest)),
  },
  'annotations.delete': {
    parse: (params) => {
      const p = expectParams('annotations.delete', params, ['case', 'id']);
      return {
        case: caseParam('annotations.delete', p),
        id: requireInteger('annotations.delete', p, 'id', { min: 1 }),
      };
    },
    run: async ({ case: c, id }, context) =>
      sessionFor(context).cases.use(c, (h) => {
        deleteAnnotation(h, id);
        return { id };
      }),
  },
} satisfies Partial<HandlerTable>;
