// The only module that talks to the transport. In the desktop app the preload exposes window.auditWs (IPC);
// in browser mode requests go to POST /api/<method> on the server that served this page, authenticated by
// the HttpOnly cookie it set when the tokened URL was first opened (so the token is never visible to scripts).
import type { AppEvent, ContractResponse, DesktopBridge, Method, ParamsOf, ResultOf } from '../src/contract/types.ts';
import type { ErrorCode, ErrorDetails, ErrorPayload } from '../src/errors.ts';

declare global {
  interface Window {
    auditWs?: DesktopBridge;
  }
}

/** A request the core refused or failed: carries the core's error code and location details. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'ContractError';
    this.code = payload.code;
    this.details = payload.details;
  }
}

export type Transport = 'electron' | 'browser';

export function transport(): Transport {
  return window.auditWs ? 'electron' : 'browser';
}

export async function invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = window.auditWs ? await window.auditWs.invoke(method, params) : await overHttp(method, params);
  if (!response.ok) throw new ContractError(response);
  return response.result as ResultOf<M>;
}

async function overHttp(method: Method, params: unknown): Promise<ContractResponse> {
  let res: Response;
  try {
    res = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(params ?? {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    return {
      ok: false,
      code: 'INTERNAL',
      message: `the workstation server is not reachable (${String(err)})`,
      details: {},
    };
  }
  try {
    // Refusals by the server (401, 403, 413...) use the same {ok:false} shape as contract errors.
    return (await res.json()) as ContractResponse;
  } catch {
    return {
      ok: false,
      code: 'INTERNAL',
      message: `unexpected answer from the server: HTTP ${res.status}`,
      details: {},
    };
  }
}

/**
 * One window per case in the desktop app: asks the shell to show a case route (`#/case/<slug>/...`). 'here': this
 * window shows it (it is the case's window, or showed no case yet and now is); 'elsewhere': the shell opened or
 * focused the case's own window, and this one stays where it was. Browser mode shows every case in place.
 */
export async function showCaseRoute(hash: string): Promise<'here' | 'elsewhere'> {
  const openCase = window.auditWs?.openCase;
  if (!openCase) return 'here';
  const answer = await openCase(hash);
  if (!answer.ok) throw new ContractError(answer);
  return answer.where;
}

/** Notices from the desktop shell (File > Open archive); browser mode has none. Returns the unsubscribe function. */
export function onAppEvent(listener: (event: AppEvent) => void): () => void {
  return window.auditWs ? window.auditWs.onAppEvent(listener) : () => undefined;
}
