// The investigator's journeys through every screen, in headless Chromium against the real browser-mode server
// and real cases (DuckDB + SQLite) on generated demo archives: the first start creates and imports the demo
// case; a tampered variant is imported through the wizard, verified, and its broken record opened. Each
// journey saves a 1280x800 screenshot to test-output/screenshots/. Independent truths come from the generator's
// summary and from reading the archive's JSONL files here, never from the code under test.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../renderer/format.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';
import { generateDemoArchive, type DemoSummary } from '../../src/demo/generator.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.AUDIT_WS_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'test-output', 'screenshots');
const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}: the UI journeys need it (apt-get install chromium, or set AUDIT_WS_CHROMIUM)`;

let tmp: string;
let server: RunningServer;
let browser: Browser;
let page: Page;
let demoPath: string;
let tampered: DemoSummary;
const problems: string[] = [];

/** The demo archive's decisions, read straight from its JSONL files. */
function demoDecisions(): Record<string, unknown>[] {
  const dir = path.join(demoPath, 'decisions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

async function go(hash: string): Promise<void> {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
}

function needChromium(): void {
  if (chromiumMissing) throw new Error(chromiumMissing);
}

beforeAll(async () => {
  if (chromiumMissing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-journeys-'));
  const uiDir = path.join(tmp, 'ui');
  const workspace = path.join(tmp, 'workspace');
  const [, demo, bad] = await Promise.all([
    build({
      configFile: path.join(repoRoot, 'vite.renderer.config.ts'),
      build: { outDir: uiDir, emptyOutDir: true },
      logLevel: 'warn',
    }),
    ensureDemoArchive(workspace, { decisions: 240, days: 3, seed: 5 }),
    generateDemoArchive({
      out: path.join(tmp, 'tampered-archive'),
      decisions: 100,
      days: 2,
      seed: 9,
      tamper: 'modified',
    }),
  ]);
  demoPath = demo.path;
  tampered = bad;
  server = await startServer({ staticDir: uiDir, dispatcher: createDispatcher({ mode: 'browser', workspace }) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

// A failed journey leaves a picture of what the page showed, beside the others.
afterEach(async (context) => {
  if (page && context.task.result?.state === 'fail') {
    const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: path.join(SCREENSHOTS, `failed-${name}.png`) }).catch(() => undefined);
  }
});

afterAll(async () => {
  await browser?.close();
  await closeSessions();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('investigator journeys (browser mode)', () => {
  it('opens on the demo case, created and imported on first start', async () => {
    needChromium();
    await page.goto(server.url);
    await page.waitForURL(/#\/case\/demo-case/);
    const total = page.getByTestId('total-records');
    const expected = demoDecisions().length;
    expect(expected).toBe(240);
    // The demo summary counts every record the generator wrote, of all kinds.
    const summary = JSON.parse(readFileSync(path.join(path.dirname(demoPath), 'summary.json'), 'utf8')) as DemoSummary;
    const all = summary.streams.reduce((a, s) => a + s.records, 0);
    await expect.poll(() => total.textContent(), { timeout: 60_000 }).toBe(formatCount(all));
    // The first start also verifies the demo case: the overview shows the verdict once that has run.
    const verdict = page.getByTestId('overview-verdict').locator('[data-verdict]');
    await expect.poll(() => verdict.getAttribute('data-verdict'), { timeout: 60_000 }).toBe('intact');
    await shot('journey-01-overview');
    expect(problems).toEqual([]);
  });

  it('creates a case and imports a tampered archive through the wizard', async () => {
    needChromium();
    await go('#/cases');
    await page.getByLabel('Name').fill('Tamper check');
    await page.getByRole('button', { name: 'Create case and import…' }).click();
    await page.waitForURL(/#\/case\/tamper-check\/import/);
    await page.getByLabel(/Absolute paths, one per line/).fill(tampered.out);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    const decisions = tampered.streams.find((s) => s.name === 'decisions');
    expect(decisions).toBeDefined();
    expect(await preview.locator('tr[data-stream="decisions"] td[data-col="records"]').textContent()).toBe(
      formatCount(decisions?.records),
    );
    await shot('journey-02-import-preview');
    const total = tampered.streams.reduce((a, s) => a + s.records, 0);
    await page.getByRole('button', { name: `Import ${formatCount(total)} records` }).click();
    const result = page.getByTestId('import-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.locator('tr[data-stream="decisions"] td.num').textContent()).toBe(
      formatCount(decisions?.records),
    );
    await shot('journey-03-import-result');
    expect(problems).toEqual([]);
  });

  it('shows verification failing on the tampered variant and opens the broken record', async () => {
    needChromium();
    const where = tampered.tamper;
    expect(where?.kind).toBe('modified');
    await page.getByRole('button', { name: 'Verify the case now' }).click();
    await page.waitForURL(/#\/case\/tamper-check\/verify/);
    await page.getByRole('button', { name: 'Run verification' }).click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 60_000 });
    expect(await verdict.locator('[data-verdict]').first().getAttribute('data-verdict')).toBe('tampered');
    expect(
      await page
        .locator('[data-testid="stream-status"] tr[data-stream="decisions"] [data-verdict]')
        .getAttribute('data-verdict'),
    ).toBe('tampered');
    await page.getByTestId('checkpoint-axis').waitFor();
    await shot('journey-04-verification');

    const row = page
      .locator('[data-testid="findings-table"] tr[data-finding="record-hash"][data-status="fail"]')
      .first();
    await row.waitFor();
    expect(await row.textContent()).toContain(`seq ${where?.seq}`);
    await row.getByRole('button', { name: 'Open the record' }).click();
    const panel = page.getByTestId('record-panel');
    await panel.waitFor();
    const record = panel.locator('article.record').first();
    await record.waitFor();
    expect(await record.textContent()).toContain(`${where?.file} line ${where?.line}`);
    expect(await record.locator('.record-findings').textContent()).toContain('record-hash');
    await shot('journey-05-broken-record');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('lists the rejected lines of a bad file, with file and line', async () => {
    needChromium();
    const file = path.join(tmp, 'bad-decisions.jsonl');
    writeFileSync(
      file,
      [
        '{"decisionId":"x-1","timestamp":"2026-03-05T00:00:00Z","modelId":"m","modelVersion":"1","prediction":"approve","confidence":0.9}',
        '{not json',
        '{"decisionId":"x-2","timestamp":"2026-03-05T00:01:00Z","modelId":"m","modelVersion":"1","prediction":"approve","confidence":"high"}',
        '',
      ].join('\n'),
    );
    await go('#/case/tamper-check/import');
    await page.getByRole('button', { name: 'Import more' }).click();
    await page.getByLabel(/Absolute paths, one per line/).fill(file);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('import-preview').waitFor();
    await page.getByRole('button', { name: /^Import \d/ }).click();
    const rejects = page.getByTestId('rejects-table');
    await rejects.waitFor({ timeout: 60_000 });
    const text = (await rejects.textContent()) ?? '';
    expect(text).toContain('bad-decisions.jsonl:2');
    expect(text).toContain('bad-decisions.jsonl:3');
    expect(text).not.toContain('bad-decisions.jsonl:1');
    await shot('journey-06-rejected-lines');
    expect(problems).toEqual([]);
  });

  it('filters, sorts and pages the explorer from the keyboard and saves the view', async () => {
    needChromium();
    await go('#/case/demo-case/explorer');
    const totalText = page.getByTestId('explorer-total');
    const all = demoDecisions();
    await expect.poll(() => totalText.textContent()).toBe(formatCount(all.length));
    const model = 'credit-limit-scorer';
    const expected = all.filter((d) => d.modelId === model).length;
    const facetValue = page.locator('[data-facet="modelId"] label', { hasText: model });
    expect(await facetValue.locator('.count').textContent()).toBe(formatCount(expected));
    await facetValue.locator('input').check();
    await expect.poll(() => totalText.textContent()).toBe(formatCount(expected));

    // Sort by confidence, highest first: the first row is the most confident of that model's decisions.
    await page.getByRole('button', { name: /^Confidence/ }).click();
    await page.getByRole('button', { name: /^Confidence/ }).click();
    const best = Math.max(...all.filter((d) => d.modelId === model).map((d) => d.confidence as number));
    const grid = page.getByTestId('explorer-table');
    const firstRow = grid.locator('.vt-row[aria-rowindex="2"]');
    await expect.poll(() => firstRow.textContent()).toContain(`${(best * 100).toFixed(1)}%`);

    // Keyboard: End goes to the last row (fetched on demand), Enter opens it.
    await grid.focus();
    await page.keyboard.press('End');
    const last = grid.locator(`.vt-row[aria-rowindex="${expected + 1}"]`);
    await expect.poll(() => last.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    const second = grid.locator('.vt-row[aria-rowindex="3"]');
    await expect.poll(() => second.getAttribute('aria-selected')).toBe('true');
    await shot('journey-07-explorer');

    await page.getByText(/^Saved views/).click();
    await page.getByLabel('View name').fill('Credit scorer by confidence');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: 'Credit scorer by confidence', exact: true }).waitFor();
    await page.getByText(/^Saved views/).click();
    expect(problems).toEqual([]);
  });

  it('opens a decision timeline from the explorer and annotates the decision', async () => {
    needChromium();
    const grid = page.getByTestId('explorer-table');
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('record-panel');
    await panel.waitFor();
    const target = await panel.locator('article.record').getAttribute('data-target');
    expect(target).toMatch(/^decision:/);
    const decisionId = (target as string).slice('decision:'.length);

    // Annotate: star, tag and comment; it shows here, in the explorer row, and on the annotations screen.
    const box = panel.getByTestId('annotation-box');
    await box.getByRole('button', { name: '☆ Star' }).click();
    await box.getByRole('button', { name: '★ Starred' }).waitFor();
    await box
      .getByPlaceholder('Comment on this record')
      .fill('Highest confidence of the credit scorer: check the inputs');
    await box.getByPlaceholder('tags, comma separated').fill('follow-up');
    await box.getByRole('button', { name: 'Add note' }).click();
    await box.locator('.annotation', { hasText: 'check the inputs' }).waitFor();
    await shot('journey-08-annotate');

    await panel.getByRole('button', { name: 'Open the decision timeline' }).click();
    await page.waitForURL(new RegExp(`timeline\\?decision=${decisionId}`));
    const events = page.getByTestId('timeline-events');
    await events.waitFor();
    const decisionEvent = events.locator('li[data-kind="decision"]');
    expect(await decisionEvent.count()).toBe(1);
    expect(await decisionEvent.textContent()).toContain('★');
    expect(await page.getByTestId('model-state').textContent()).toContain('credit-limit-scorer');
    await shot('journey-09-timeline');
    // Keyboard: arrows move between events.
    await events.locator('li').first().focus();
    await page.keyboard.press('ArrowDown');
    expect(
      await events
        .locator('li')
        .nth(1)
        .evaluate((el) => el === document.activeElement),
    ).toBe(true);

    await go('#/case/demo-case/annotations');
    const table = page.getByTestId('annotations-table');
    await table.waitFor();
    expect(await table.textContent()).toContain(decisionId);
    expect(await table.textContent()).toContain('follow-up');
    await shot('journey-10-annotations');
    expect(problems).toEqual([]);
  });

  it("shows a decision's explanation as a bar chart and each event's integrity", async () => {
    needChromium();
    const dir = path.join(demoPath, 'explanations');
    const first = readdirSync(dir).sort()[0];
    const artefact = JSON.parse(readFileSync(path.join(dir, first), 'utf8')) as {
      decisionId: string;
      attributions: { feature: string; contribution: number }[];
    };
    await go(`#/case/demo-case/timeline?decision=${artefact.decisionId}`);
    const chart = page.getByRole('img', { name: 'Feature contributions to the output' });
    await chart.waitFor();
    expect(await chart.locator('rect.bar').count()).toBe(artefact.attributions.length);
    // The demo case was verified on first start: its records show as verified, event by event.
    const decisionEvent = page.locator('[data-testid="timeline-events"] li[data-kind="decision"] [data-verdict]');
    expect(await decisionEvent.getAttribute('data-verdict')).toBe('passed');
    await chart.scrollIntoViewIfNeeded();
    await shot('journey-09b-explanation');
    expect(problems).toEqual([]);
  });

  it('reads fairness by group against the 0.8-1.25 band', async () => {
    needChromium();
    await go('#/case/demo-case/fairness');
    await page.getByLabel('Attribute (the groups)').selectOption('inputFeatures.group');
    await page.getByLabel('Favourable prediction').selectOption('approve');
    // Only the credit scorer approves: the screen narrows the question to its decisions by itself.
    expect(await page.getByLabel('Decisions of').inputValue()).toBe('credit-limit-scorer');
    await page.getByLabel('Minimum group size').fill('5');
    await page.getByRole('button', { name: 'Compare groups' }).click();
    const table = page.getByTestId('fairness-groups');
    await table.waitFor();
    // Hand count from the archive: decisions per group, and how many were "approve".
    const counts = new Map<string, { n: number; approved: number }>();
    for (const d of demoDecisions()) {
      if (d.modelId !== 'credit-limit-scorer') continue;
      const group = (d.inputFeatures as Record<string, unknown> | undefined)?.group;
      if (typeof group !== 'string') continue;
      const c = counts.get(group) ?? { n: 0, approved: 0 };
      c.n++;
      if (d.prediction === 'approve') c.approved++;
      counts.set(group, c);
    }
    expect(counts.size).toBeGreaterThan(1);
    for (const [group, c] of counts) {
      const cells = table.locator(`tr[data-group="${group}"] td`);
      expect(await cells.nth(0).textContent()).toBe(formatCount(c.n));
      expect(await cells.nth(1).textContent()).toBe(formatCount(c.approved));
    }
    await shot('journey-11-fairness');
    expect(problems).toEqual([]);
  });

  it('lists each anomaly filter with its count and drills down to the explorer', async () => {
    needChromium();
    await go('#/case/demo-case/anomalies');
    const card = page.locator('[data-anomaly="high-latency"]');
    const count = page.getByTestId('anomaly-count-high-latency');
    await expect.poll(() => count.textContent()).toMatch(/^\d/);
    const hits = Number((await count.textContent())?.replace(/,/g, ''));
    expect(hits).toBeGreaterThan(0);
    await shot('journey-12-anomalies');
    await card.getByRole('button', { name: /Open these decisions in the explorer/ }).click();
    await page.waitForURL(/explorer\?anomaly=high-latency/);
    await expect.poll(() => page.getByTestId('explorer-total').textContent()).toBe(formatCount(hits));

    await go('#/case/demo-case/oversight');
    await page.getByTestId('oversight-reviewers').waitFor();
    await shot('journey-13-oversight');
    expect(problems).toEqual([]);
  });

  it('writes a report of the case and lists its files', async () => {
    needChromium();
    await go('#/case/demo-case/report');
    const formats = page.getByRole('group', { name: 'Formats' });
    await formats.getByRole('checkbox', { name: /PDF/ }).uncheck();
    await formats.getByRole('checkbox', { name: /CSV/ }).uncheck();
    await page.getByRole('button', { name: 'Write the report' }).click();
    const files = page.getByTestId('written-files');
    await files.waitFor({ timeout: 60_000 });
    expect(await files.textContent()).toContain('report.html');
    expect(await files.textContent()).toContain('findings.json');
    await shot('journey-14-report');
    expect(problems).toEqual([]);
  });

  it('reads the same screens in the dark theme', async () => {
    needChromium();
    await page.emulateMedia({ colorScheme: 'dark' });
    await go('#/case/tamper-check/verify');
    await page.getByTestId('verdict').waitFor();
    await shot('journey-15-verification-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(problems).toEqual([]);
  });
});
