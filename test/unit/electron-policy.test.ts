// The Electron shell's trust decisions, tested in plain Node (main/policy.ts does not import Electron).
import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  PDF_PARTITION,
  PDF_WINDOW_PREFERENCES,
  appPageUrl,
  contentSecurityPolicy,
  isAllowedRequest,
  isAppUrl,
  isPdfRequestAllowed,
  parseContractRequest,
  printToPdfOptions,
} from '../../main/policy.ts';
import { PDF_PAGE } from '../../src/report/pdf.ts';
import { AuditWsError } from '../../src/errors.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/server/security.ts';

const DEV = 'http://localhost:5173';

describe('isAppUrl: which frames may call the contract', () => {
  it.each([`${APP_ORIGIN}/index.html`, `${APP_ORIGIN}/`, `${APP_ORIGIN}/assets/x.js?v=1#top`])('trusts %s', (url) => {
    expect(isAppUrl(url)).toBe(true);
  });

  it.each([
    'file:///usr/share/app/index.html',
    'https://example.com/',
    'audit-ws://other/index.html',
    'audit-ws://app.evil/index.html',
    'http://localhost:5173/',
    'about:blank',
    '',
    'not a url',
  ])('refuses %s in production', (url) => {
    expect(isAppUrl(url)).toBe(false);
  });

  it('trusts the dev server only when one is running, and only its exact origin', () => {
    expect(isAppUrl('http://localhost:5173/index.html', DEV)).toBe(true);
    expect(isAppUrl('http://localhost:5174/index.html', DEV)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/index.html', DEV)).toBe(false);
  });
});

describe('isAllowedRequest: the network filter', () => {
  it('lets the app, devtools and inline data through', () => {
    expect(isAllowedRequest(`${APP_ORIGIN}/assets/index.js`)).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html')).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);
  });

  it.each(['https://example.com/x.js', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'ws://localhost:5173/'])(
    'cancels %s in production',
    (url) => {
      expect(isAllowedRequest(url)).toBe(false);
    },
  );

  it('allows the dev server and its HMR websocket during development only', () => {
    expect(isAllowedRequest('http://localhost:5173/@vite/client', DEV)).toBe(true);
    expect(isAllowedRequest('ws://localhost:5173/', DEV)).toBe(true);
    expect(isAllowedRequest('ws://localhost:9999/', DEV)).toBe(false);
    expect(isAllowedRequest('https://cdn.example.com/react.js', DEV)).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  it('is the browser-mode policy for the packaged app', () => {
    expect(contentSecurityPolicy()).toBe(CONTENT_SECURITY_POLICY);
  });

  it('relaxes only inline scripts and the HMR socket for the dev server', () => {
    const dev = contentSecurityPolicy(DEV);
    expect(dev).toContain("script-src 'self' 'unsafe-inline'");
    expect(dev).toContain("connect-src 'self' ws://localhost:5173");
    expect(dev).toContain("object-src 'none'");
    expect(dev).toContain("default-src 'self'");
  });
});

describe('parseContractRequest: the IPC payload shape', () => {
  it('accepts {method, params}', () => {
    expect(parseContractRequest({ method: 'app.info', params: {} })).toEqual({ method: 'app.info', params: {} });
    expect(parseContractRequest({ method: 'app.info' })).toEqual({ method: 'app.info', params: undefined });
  });

  it.each([null, 'app.info', ['app.info'], { params: {} }, { method: 7 }, { method: 'app.info', extra: 1 }])(
    'refuses %j with BAD_USAGE',
    (payload) => {
      expect(() => parseContractRequest(payload)).toThrowError(AuditWsError);
      try {
        parseContractRequest(payload);
      } catch (err) {
        expect((err as AuditWsError).code).toBe('BAD_USAGE');
      }
    },
  );
});

describe('appPageUrl: where a window opens', () => {
  it('puts the route after the packaged page or the dev server', () => {
    expect(appPageUrl('')).toBe(`${APP_ORIGIN}/index.html`);
    expect(appPageUrl('#/case/a/overview')).toBe(`${APP_ORIGIN}/index.html#/case/a/overview`);
    expect(appPageUrl('#/cases', DEV)).toBe(`${DEV}#/cases`);
    expect(isAppUrl(appPageUrl('#/case/a/explorer?x=1'))).toBe(true);
  });
});

describe('the report printer (printToPDF)', () => {
  it('loads only the file being printed, and inline data', () => {
    const printing = new Set(['file:///tmp/audit-ws-pdf-1/report.html']);
    expect(isPdfRequestAllowed('file:///tmp/audit-ws-pdf-1/report.html', printing)).toBe(true);
    expect(isPdfRequestAllowed('data:image/png;base64,AAAA', printing)).toBe(true);
    for (const url of [
      'file:///tmp/audit-ws-pdf-1/other.html',
      'file:///etc/passwd',
      'https://example.com/font.woff',
      `${APP_ORIGIN}/index.html`,
      'blob:null/1',
    ])
      expect(isPdfRequestAllowed(url, printing)).toBe(false);
    expect(isPdfRequestAllowed('file:///tmp/audit-ws-pdf-1/report.html', new Set())).toBe(false);
  });

  it('prints in a window without JavaScript, Node or preload, offscreen, on an in-memory session', () => {
    expect(PDF_WINDOW_PREFERENCES).toMatchObject({
      javascript: false,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      offscreen: true,
    });
    expect(PDF_WINDOW_PREFERENCES).not.toHaveProperty('preload');
    expect(PDF_PARTITION.startsWith('persist:')).toBe(false);
  });

  it("prints the CLI's page: A4, the same margins (in inches) and the escaped footer", () => {
    const o = printToPdfOptions('Case <b> · report');
    expect(o.pageSize).toBe(PDF_PAGE.format);
    expect(o.margins).toEqual({ marginType: 'custom', top: 0.63, bottom: 0.709, left: 0.551, right: 0.551 });
    expect(o.footerTemplate).toContain('Case &#60;b&#62; · report');
    expect(o.footerTemplate).not.toContain('<b>');
    expect(o.footerTemplate).toContain('class="pageNumber"');
    expect(o).toMatchObject({ printBackground: true, displayHeaderFooter: true, preferCSSPageSize: false });
  });
});
