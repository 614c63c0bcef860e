// A case built from an archive whose every visible string is HTML or script (test/fuzz/xss-archive.ts),
// opened in headless Chromium against the real browser-mode server: overview, explorer and the record
// drawer, timeline with the explanation chart, verification, oversight, annotations, the report screen
// and the report it writes. On every page: no dialog ever opens (alert, confirm, prompt), no element or
// attribute from the data exists, and the hostile strings are on the page as literal text.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/case/workspace.ts';
import { addAnnotation } from '../../src/contract/annotations.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { importArchives } from '../../src/import/importer.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import {
  ANNOTATION_TAG,
  ANNOTATION_TEXT,
  CASE_NAME,
  MODEL_A,
  MODEL_B,
  PAYLOADS,
  writeXssArchive,
} from '../fuzz/xss-archive.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.AUDIT_WS_CHROMIUM ?? '/usr/bin/chromium';
const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}: the UI journeys need it (apt-get install chromium, or set AUDIT_WS_CHROMIUM)`;

let tmp: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let slug: string;
let decisionIds: string[];
const dialogs: string[] = [];
const problems: string[] = [];

function needChromium(): void {
  if (chromiumMissing) throw new Error(chromiumMissing);
}

function watch(p: Page): void {
  // A dialog is what alert(1) would open: record it and close it so the page goes on.
  p.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
}

async function go(hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

/**
 * What only an injection could have put into the page: inline scripts that mention alert, elements the
 * payloads carry, event-handler attributes, javascript: links, a stylesheet from the data.
 */
async function injected(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const found: string[] = [];
    for (const s of Array.from(document.querySelectorAll('script')))
      if (!s.src && /alert/.test(s.textContent ?? '')) found.push(`inline script: ${s.textContent}`);
    for (const sel of ['img[src="x"]', 'iframe', 'object', 'embed', 'svg[onload]'])
      for (const el of Array.from(document.querySelectorAll(sel))) found.push(`${sel}: ${el.outerHTML.slice(0, 80)}`);
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name)) found.push(`${el.tagName.toLowerCase()}[${a.name}]`);
        if (/^(href|src|action|xlink:href)$/i.test(a.name) && /^\s*javascript:/i.test(a.value))
          found.push(`${el.tagName.toLowerCase()}[${a.name}=${a.value}]`);
      }
    }
    for (const st of Array.from(document.querySelectorAll('style')))
      if ((st.textContent ?? '').includes('*{display:none}')) found.push('a stylesheet from the data');
    return found;
  });
}

/** The screen holds each of `texts` literally, nothing injected, and no dialog opened. */
async function expectSafe(p: Page, texts: string[]): Promise<void> {
  for (const t of texts)
    await expect.poll(() => p.evaluate(() => document.body.innerText), { timeout: 20_000 }).toContain(t);
  expect(await injected(p)).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(problems).toEqual([]);
}

beforeAll(async () => {
  if (chromiumMissing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-hostile-xss-'));
  const uiDir = path.join(tmp, 'ui');
  const workspace = path.join(tmp, 'workspace');
  const archive = path.join(tmp, 'hostile-archive');
  const [, written] = await Promise.all([
    build({
      configFile: path.join(repoRoot, 'vite.renderer.config.ts'),
      build: { outDir: uiDir, emptyOutDir: true },
      logLevel: 'warn',
    }),
    writeXssArchive(archive),
  ]);
  decisionIds = written.decisionIds;
  const handle = await new Workspace(workspace).create(CASE_NAME, { actor: `Ada ${PAYLOADS.img}` });
  try {
    slug = handle.info().slug;
    const imported = await importArchives(handle, [archive]);
    expect(imported.status).toBe('done');
    await verifyCase(handle, {
      ...DEFAULT_VERIFY_OPTIONS,
      trustKeyFiles: readdirSync(path.join(archive, 'keys')).map((k) => path.join(archive, 'keys', k)),
    });
    addAnnotation(handle, {
      target: `decision:${decisionIds[0]}`,
      text: ANNOTATION_TEXT,
      tags: [ANNOTATION_TAG],
      starred: true,
    });
  } finally {
    await handle.close();
  }
  server = await startServer({ staticDir: uiDir, dispatcher: createDispatcher({ mode: 'browser', workspace }) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(20_000);
  watch(page);
  await page.goto(server.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await closeSessions();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('a case whose archive is full of HTML and script', () => {
  it('overview: the case name is text', async () => {
    needChromium();
    await go(`#/case/${encodeURIComponent(slug)}/overview`);
    await page.getByTestId('overview').waitFor();
    await expectSafe(page, [CASE_NAME]);
  });

  it('explorer and the record drawer: ids, models, versions, features and context are text', async () => {
    needChromium();
    await go(`#/case/${encodeURIComponent(slug)}/explorer`);
    await expect.poll(() => page.getByTestId('explorer-total').textContent()).toBe('16');
    await expectSafe(page, [MODEL_A, MODEL_B, decisionIds[0]]);
    const grid = page.getByTestId('explorer-table');
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('record-panel');
    await panel.waitFor();
    // member values shown as text; nested members shown as JSON (which escapes their quotes)
    await expectSafe(page, [
      `trace ${PAYLOADS.iframe}`,
      `user ${PAYLOADS.iframe}`,
      `web ${PAYLOADS.title}`,
      `value ${PAYLOADS.textarea}`,
      JSON.stringify(`feature ${PAYLOADS.svg}`).slice(1, -1),
    ]);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  });

  it('timeline: the decision, its review, outcome, model events and explanation chart are text', async () => {
    needChromium();
    await go(`#/case/${encodeURIComponent(slug)}/timeline?${new URLSearchParams({ decision: decisionIds[0] })}`);
    await page.getByTestId('timeline-events').waitFor();
    await expectSafe(page, [
      decisionIds[0],
      `reviewer ${PAYLOADS.script}`,
      `actor ${PAYLOADS.img}`,
      `income ${PAYLOADS.img}`,
    ]);
  });

  it('verification, oversight and annotations: findings, reviewers and the note are text', async () => {
    needChromium();
    await go(`#/case/${encodeURIComponent(slug)}/verify`);
    await page.getByTestId('verdict').waitFor();
    await expectSafe(page, []);
    await go(`#/case/${encodeURIComponent(slug)}/oversight`);
    await page.getByTestId('oversight-reviewers').waitFor();
    await expectSafe(page, [`reviewer ${PAYLOADS.script}`]);
    await go(`#/case/${encodeURIComponent(slug)}/annotations`);
    await page.getByTestId('annotations-table').waitFor();
    await expectSafe(page, [ANNOTATION_TEXT]);
  });

  it('report: the screen writes the report, and the report opened in the browser shows the strings as text', async () => {
    needChromium();
    await go(`#/case/${encodeURIComponent(slug)}/report`);
    const formats = page.getByRole('group', { name: 'Formats' });
    await formats.getByRole('checkbox', { name: /PDF/ }).uncheck();
    await formats.getByRole('checkbox', { name: /CSV/ }).uncheck();
    await page.getByRole('button', { name: 'Write the report' }).click();
    const files = page.getByTestId('written-files');
    await files.waitFor({ timeout: 60_000 });
    await expectSafe(page, [CASE_NAME]);
    const where = (await page.locator('p', { hasText: 'Written to' }).locator('code').textContent()) ?? '';
    const reportFile = path.join(where, 'report.html');
    expect(existsSync(reportFile)).toBe(true);
    const reportPage = await browser.newPage();
    watch(reportPage);
    try {
      await reportPage.goto(pathToFileURL(reportFile).href);
      await reportPage.waitForLoadState('load');
      await expectSafe(reportPage, [CASE_NAME, MODEL_A, MODEL_B, `system ${PAYLOADS.script}`]);
    } finally {
      await reportPage.close();
    }
  });

  it('the checks above do see an injection when there is one (markup put into the page on purpose)', async () => {
    needChromium();
    const probe = await browser.newPage();
    const seen: string[] = [];
    probe.on('dialog', (d) => {
      seen.push(d.message());
      void d.dismiss();
    });
    try {
      await probe.setContent('<html><body><p>probe</p></body></html>');
      await probe.evaluate((markup) => {
        const div = document.createElement('div');
        div.innerHTML = markup;
        document.body.append(div);
      }, `${PAYLOADS.img}<b onmouseover="x">b</b>`);
      await expect.poll(() => seen.length).toBe(1);
      expect(await injected(probe)).toEqual([
        'img[src="x"]: <img src="x" onerror="alert(1)">',
        'img[onerror]',
        'b[onmouseover]',
      ]);
    } finally {
      await probe.close();
    }
  });
});
