// What the Electron shell trusts, as plain functions without Electron (types only) so they can be unit-tested in
// Node.
import type { PrintToPDFOptions } from 'electron';
import { AuditWsError } from '../src/errors.ts';
import { PDF_PAGE, pdfFooterTemplate } from '../src/report/pdf.ts';
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

/** The address of the app's page at a route (`#/case/...`), on the packaged scheme or the dev server. */
export function appPageUrl(hash: string, devServerUrl?: string): string {
  const base = devServerUrl ?? `${APP_ORIGIN}/index.html`;
  return hash === '' ? base : `${base.replace(/#.*$/, '')}${hash}`;
}

export interface OpenCaseRequest {
  /** The case named by the route (its slug, as the address spells it). */
  slug: string;
  /** Where the case's window should open, e.g. `#/case/demo-case/explorer?modelId=x`. */
  hash: string;
}

/**
 * Shape check of a window's "show this case" request `{hash}`. The hash becomes part of a window's address, so it
 * must be one of this app's case routes and nothing else: no scheme, no path, no spaces or control characters.
 */
export function parseOpenCaseRequest(payload: unknown): OpenCaseRequest {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new AuditWsError('BAD_USAGE', 'open-case request must be an object {hash}');
  }
  const { hash, ...rest } = payload as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new AuditWsError('BAD_USAGE', `open-case request has unknown member "${extra[0]}"`);
  const match =
    typeof hash === 'string' && hash.length <= 4000 ? /^#\/case\/([^/?#\s]+)(?:[/?][^#\s]*)?$/.exec(hash) : null;
  // eslint-disable-next-line no-control-regex
  if (!match || /[\u0000-\u001f\u007f]/.test(hash as string)) {
    throw new AuditWsError('BAD_USAGE', 'open-case request "hash" must be a case route such as #/case/<slug>/overview');
  }
  let slug: string;
  try {
    slug = decodeURIComponent(match[1]);
  } catch {
    throw new AuditWsError('BAD_USAGE', `open-case request: "${match[1]}" is not a valid case in the route`);
  }
  return { slug, hash: hash as string };
}

/** The route that opens a case's window on its overview. */
export function caseHash(slug: string, screen = 'overview'): string {
  return `#/case/${encodeURIComponent(slug)}/${screen}`;
}

/**
 * The report printer's network filter: the one temporary file being printed, and inline data. Everything else
 * (remote, other local files, the app's own scheme) is cancelled: a report is self-contained.
 */
export function isPdfRequestAllowed(url: string, printing: ReadonlySet<string>): boolean {
  return url.startsWith('data:') || printing.has(url);
}

/**
 * The web preferences of the report printer's window (besides its session): no JavaScript, sandboxed, isolated,
 * offscreen, no preload, no Node. Kept here so a test reads them without Electron.
 */
export const PDF_WINDOW_PREFERENCES = {
  javascript: false,
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  offscreen: true,
  spellcheck: false,
  images: true,
} as const;

/** The in-memory session (no `persist:` prefix) the report printer uses: nothing of it reaches the disk. */
export const PDF_PARTITION = 'audit-ws-report-pdf';

const MM_PER_INCH = 25.4;

/** printToPDF's options for the shared page (A4, the same margins and footer as the CLI's PDF). */
export function printToPdfOptions(footerText: string): PrintToPDFOptions {
  const inches = (mm: number) => Math.round((mm / MM_PER_INCH) * 1000) / 1000;
  const m = PDF_PAGE.marginMm;
  return {
    pageSize: PDF_PAGE.format,
    printBackground: true,
    displayHeaderFooter: true,
    headerTemplate: '<div></div>',
    footerTemplate: pdfFooterTemplate(footerText),
    margins: {
      marginType: 'custom',
      top: inches(m.top),
      bottom: inches(m.bottom),
      left: inches(m.left),
      right: inches(m.right),
    },
    preferCSSPageSize: false,
    generateTaggedPDF: true,
    generateDocumentOutline: true,
  };
}
