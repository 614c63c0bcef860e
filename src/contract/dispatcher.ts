import { AuditWsError, toErrorPayload } from '../errors.ts';
import { handlers as defaultHandlers } from './handlers/index.ts';
import { toPlainJson } from './plain-json.ts';
import type { ContractResponse, Handler, HandlerContext, HandlerTable, Method } from './types.ts';

export interface Dispatcher {
  /** Validates and runs one request from any transport; never throws, always returns plain JSON. */
  handle(method: string, params: unknown): Promise<ContractResponse>;
}

export function isMethod(method: unknown, table: HandlerTable = defaultHandlers): method is Method {
  // Own properties only: "constructor" or "__proto__" must not reach Object.prototype.
  return typeof method === 'string' && Object.hasOwn(table, method);
}

export function createDispatcher(context: HandlerContext, table: HandlerTable = defaultHandlers): Dispatcher {
  return {
    async handle(method, params) {
      try {
        if (!isMethod(method, table)) {
          throw new AuditWsError('BAD_USAGE', `unknown request "${String(method)}"`, { method: String(method) });
        }
        const handler = table[method] as Handler<Method>;
        const result = await handler.run(handler.parse(params), context);
        return { ok: true, result: toPlainJson(result) } as ContractResponse;
      } catch (err) {
        const payload = toErrorPayload(err);
        return { ...payload, details: toPlainJson(payload.details) as typeof payload.details };
      }
    },
  };
}
