// The report from the UI in browser mode, end to end: the investigator asks for the PDF on the Report screen, the
// server prints it with the system Chromium (playwright-core, the CLI's printer), and the PDF's text, read back
// with pdftotext, says what the report's HTML says. A report cancelled from the UI leaves no file behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';
import type { DemoSummary } from '../../src/demo/generator.ts';
import { formatCount } from '../../renderer/format.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.AUDIT_WS_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'test-output', 'screenshots');

let tmp: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let demo: { path: string };
const problems: string[] = [];

/** The words a reader sees in the report's HTML: no tags, no style, entities decoded, spaces collapsed. */
function visibleText(html: string): string {
  return html
    .replace(/<(style|script|title)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The text between tags, one piece per text node (outside style and script). */
function* visibleNodes(html: string): Generator<string> {
  const body = html.replace(/<(style|script|title)[\s\S]*?<\/\1>/gi, ' ');
  for (const m of body.matchAll(/>([^<]+)</g)) yield visibleText(`>${m[1]}<`);
}

/** Letters and digits only, lower case. */
function alnum(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Word tokens for comparing: letters and digits only, so line breaks, hyphenation and columns do not matter. */
function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-report-ui-'));
  const uiDir = path.join(tmp, 'ui');
  const workspace = path.join(tmp, 'workspace');
  await Promise.all([
    build({
      configFile: path.join(repoRoot, 'vite.renderer.config.ts'),
      build: { outDir: uiDir, emptyOutDir: true },
      logLevel: 'warn',
    }),
    ensureDemoArchive(workspace, { decisions: 120, days: 2, seed: 21 }).then((d) => (demo = d)),
  ]);
  server = await startServer({ staticDir: uiDir, dispatcher: createDispatcher({ mode: 'browser', workspace }) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await closeSessions();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('report from the UI (browser mode)', () => {
  it('writes a PDF whose text is the report', { timeout: 240_000 }, async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: set AUDIT_WS_CHROMIUM`);
    await page.goto(server.url);
    await page.waitForURL(/#\/case\/demo-case/);
    // The first start imports the demo case (and verifies it); the report needs the import done.
    const summary = JSON.parse(readFileSync(path.join(path.dirname(demo.path), 'summary.json'), 'utf8')) as DemoSummary;
    const records = summary.streams.reduce((a, st) => a + st.records, 0);
    await expect
      .poll(() => page.getByTestId('total-records').textContent(), { timeout: 90_000 })
      .toBe(formatCount(records));
    await page.evaluate(() => {
      window.location.hash = '#/case/demo-case/report';
    });
    const outDir = path.join(tmp, 'report out');
    const formats = page.getByRole('group', { name: 'Formats' });
    await formats.getByRole('checkbox', { name: /CSV/ }).uncheck();
    await formats.getByRole('checkbox', { name: /findings\.json/ }).uncheck();
    expect(await formats.getByRole('checkbox', { name: /PDF/ }).isChecked()).toBe(true);
    await page.getByLabel('Folder (absolute path)').fill(outDir);
    await page.getByRole('button', { name: 'Write the report' }).click();
    const files = page.getByTestId('written-files');
    await files.waitFor({ timeout: 90_000 });
    expect(await files.textContent()).toContain('report.pdf');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'journey-report-pdf.png') });

    const pdfFile = path.join(outDir, 'report.pdf');
    expect(readFileSync(pdfFile).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdfText = execFileSync('pdftotext', ['-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' });
    const html = readFileSync(path.join(outDir, 'report.html'), 'utf8');

    // Every heading of the HTML is in the PDF, and the case name and page footer are on its pages.
    const pdfWords = words(pdfText).join(' ');
    const headings = [...html.matchAll(/<h[12][^>]*>([\s\S]*?)<\/h[12]>/g)].map((m) => visibleText(m[1]));
    expect(headings.length).toBeGreaterThan(5);
    for (const h of headings) expect(pdfWords, h).toContain(words(h).join(' '));
    expect(pdfText).toMatch(/Page 1 of \d+/);
    expect(pdfText).toContain('Demo case · AI audit report');

    // The body: each piece of text of the HTML (a cell, a sentence between tags) is in the PDF's text, compared
    // as letters and digits only so that line breaks and hyphenation do not matter. pdftotext reads some wrapped
    // table cells across their neighbours, which splits the longest cells (hashes and long findings): a few may
    // not match verbatim, nearly all must.
    const pieces = [...visibleNodes(html)].map(alnum).filter((t) => t.length > 0);
    const haystack = alnum(pdfText);
    const found = pieces.filter((t) => haystack.includes(t)).length;
    expect(pieces.length).toBeGreaterThan(500);
    expect(found / pieces.length).toBeGreaterThan(0.97);
    // It is this very report: the SHA-256 of its data, shown on the screen, is quoted in the PDF's appendix.
    const sha = (await page.getByText('SHA-256 of the report data').locator('code').textContent()) ?? '';
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(haystack).toContain(sha);
    expect(problems).toEqual([]);
  });

  it('cancels a report from the UI and leaves no file behind', { timeout: 120_000 }, async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: set AUDIT_WS_CHROMIUM`);
    const outDir = path.join(tmp, 'cancelled report');
    await page.getByLabel('Folder (absolute path)').fill(outDir);
    await page.getByRole('button', { name: 'Write the report' }).click();
    const job = page.locator('.card', { has: page.getByRole('heading', { name: 'Report' }) }).getByTestId('job-report');
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    expect(await job.textContent()).toContain('nothing was changed');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
    expect(problems).toEqual([]);
  });
});
