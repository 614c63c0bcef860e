/**
 * HTML to PDF with the system Chromium through playwright-core (the CLI's path; the desktop app uses
 * Electron's printToPDF on the same HTML). The page is loaded with JavaScript disabled and every
 * network request refused: the report is self-contained, so nothing may be fetched while printing.
 * Page numbers and the case name go in Chromium's footer template, which is escaped like the page.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
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

export interface PdfOptions {
  /** Shown in the footer of every page. */
  footerText: string;
  executablePath?: string;
}

export async function renderPdf(html: string, options: PdfOptions): Promise<Buffer> {
  const executablePath = options.executablePath ?? findChromium();
  if (!executablePath) {
    throw new AuditWsError(
      'NOT_FOUND',
      'no Chromium found for the PDF (set AUDIT_WS_CHROMIUM to its path); report.html holds the same report',
    );
  }
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
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer,
      margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
      preferCSSPageSize: false,
      outline: true,
      tagged: true,
    });
  } finally {
    await browser.close();
  }
}
