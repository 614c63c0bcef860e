/**
 * HTML to PDF. `PdfRenderer` is what the report writer needs; the host chooses it: the CLI and browser mode
 * use `renderPdf` (the system Chromium through playwright-core, loaded only when a PDF is printed), the
 * desktop app injects Electron's printToPDF (main/pdf.ts) through the contract's HandlerContext, so the core
 * never imports Electron and the desktop app never needs playwright-core. Both print the same HTML with the
 * same page (PDF_PAGE) and footer, JavaScript disabled and every network request refused: the report is
 * self-contained, so nothing may be fetched while printing. Page numbers and the case name go in Chromium's
 * footer template, which is escaped like the page.
 */
import { existsSync } from 'node:fs';
import { AuditWsError } from '../errors.ts';
import { esc } from './html-kit.ts';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** AUDIT_WS_CHROMIUM, else the first Chromium found in the usual places. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AUDIT_WS_CHROMIUM) return env.AUDIT_WS_CHROMIUM;
  return CANDIDATES.find((p) => existsSync(p));
}

/**
 * The footer of every page: the report's name on the left, "Page n of m" on the right. Chromium fills
 * the pageNumber / totalPages spans; Electron's printToPDF takes the same template.
 */
export function pdfFooterTemplate(text: string): string {
  return `<div style="width:100%;font:7.5pt Helvetica,Arial,sans-serif;color:#555;padding:0 14mm;display:flex;justify-content:space-between;"><span>${esc(text)}</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
}

/** The printed page, shared by every renderer: A4, margins in millimetres. */
export const PDF_PAGE = {
  format: 'A4',
  marginMm: { top: 16, bottom: 18, left: 14, right: 14 },
} as const;

export interface PdfOptions {
  /** Shown in the footer of every page. */
  footerText: string;
  executablePath?: string;
}

/** Prints a self-contained HTML page to PDF bytes. */
export type PdfRenderer = (html: string, options: { footerText: string }) => Promise<Buffer>;

export async function renderPdf(html: string, options: PdfOptions): Promise<Buffer> {
  const executablePath = options.executablePath ?? findChromium();
  if (!executablePath) {
    throw new AuditWsError(
      'NOT_FOUND',
      'no Chromium found for the PDF (set AUDIT_WS_CHROMIUM to its path); report.html holds the same report',
    );
  }
  const { chromium } = await import('playwright-core');
  let browser;
  try {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
  } catch (err) {
    throw new AuditWsError(
      'UNSUPPORTED',
      `Chromium at ${executablePath} did not start: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const footer = pdfFooterTemplate(options.footerText);
    const mm = (n: number) => `${n}mm`;
    return await page.pdf({
      format: PDF_PAGE.format,
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer,
      margin: {
        top: mm(PDF_PAGE.marginMm.top),
        bottom: mm(PDF_PAGE.marginMm.bottom),
        left: mm(PDF_PAGE.marginMm.left),
        right: mm(PDF_PAGE.marginMm.right),
      },
      preferCSSPageSize: false,
      outline: true,
      tagged: true,
    });
  } finally {
    await browser.close();
  }
}
