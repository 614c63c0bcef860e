// What the Electron shell trusts, as plain functions without Electron so they can be unit-tested in Node.
import { AuditWsError } from '../src/errors.ts';
import { CONTENT_SECURITY_POLICY } from '../src/server/security.ts';

/** The app's own privileged scheme: the packaged UI is served as audit-ws://app/..., never from file://. */
export const APP_SCHEME = 'audit-ws';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    // Non-special schemes report origin "null"; rebuild it so audit-ws://app compares like an http origin.
    return parsed.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${parsed.host}` : parsed.origin;
  } catch {
    return undefined;
  }
}

/** True when `url` is a page of this app: the packaged UI, or the Vite dev server during `electron-forge start`. */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  const origin = originOf(url);
  if (origin === undefined) return false;
  if (origin === APP_ORIGIN) return true;
  return devServerUrl !== undefined && origin === originOf(devServerUrl);
}

/**
 * The network filter: only the app's own content (and, in development, the dev server including its HMR
 * websocket) may load. Everything else, remote or local (file:), is cancelled.
 */
export function isAllowedRequest(url: string, devServerUrl?: string): boolean {
  if (url.startsWith('devtools:') || url.startsWith('data:') || url.startsWith('blob:')) return true;
  if (isAppUrl(url, devServerUrl)) return true;
  if (devServerUrl === undefined) return false;
  try {
    const dev = new URL(devServerUrl);
    const candidate = new URL(url);
    return (candidate.protocol === 'ws:' || candidate.protocol === 'wss:') && candidate.host === dev.host;
  } catch {
    return false;
  }
}

/**
 * The packaged UI gets the browser-mode policy unchanged. The dev server needs inline scripts (React refresh
 * preamble) and its websocket, so development relaxes exactly those two points.
 */
export function contentSecurityPolicy(devServerUrl?: string): string {
  if (devServerUrl === undefined) return CONTENT_SECURITY_POLICY;
  const wsOrigin = new URL(devServerUrl).host;
  return CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "connect-src 'self'",
    `connect-src 'self' ws://${wsOrigin}`,
  );
}

export interface ContractRequest {
  method: string;
  params: unknown;
}

/** Shape check of what the renderer sent over IPC; the dispatcher then validates the method and params. */
export function parseContractRequest(payload: unknown): ContractRequest {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new AuditWsError('BAD_USAGE', 'IPC request must be an object {method, params}');
  }
  const { method, params, ...rest } = payload as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new AuditWsError('BAD_USAGE', `IPC request has unknown member "${extra[0]}"`);
  if (typeof method !== 'string') throw new AuditWsError('BAD_USAGE', 'IPC request "method" must be a string');
  return { method, params };
}
