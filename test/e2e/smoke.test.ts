// Browser smoke test: the real renderer build, served by the real browser-mode server, in headless Chromium.
// It needs Chromium at /usr/bin/chromium (or AUDIT_WS_CHROMIUM); without it the test fails, it does not skip.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount } from '../../renderer/format.ts';
import { inspectArchive, type InspectReport } from '../../src/archive/inspect.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';
import type { DemoSummary } from '../../src/demo/generator.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.AUDIT_WS_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'test-output', 'screenshots');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let tmp: string;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let expected: InspectReport;
let generated: DemoSummary;
const problems: string[] = [];

// Each test fails (none is skipped) with this sentence when Chromium is absent, so CI counts them as failures.
const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}: the browser smoke test needs it (apt-get install chromium, ` +
    'or set AUDIT_WS_CHROMIUM to a Chromium binary)';
function needChromium(): void {
  if (chromiumMissing) throw new Error(chromiumMissing);
}

beforeAll(async () => {
  if (chromiumMissing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-e2e-'));
  const uiDir = path.join(tmp, 'ui');
  await build({
    configFile: path.join(repoRoot, 'vite.renderer.config.ts'),
    build: { outDir: uiDir, emptyOutDir: true },
    logLevel: 'warn',
  });
  const workspace = path.join(tmp, 'workspace');
  const demo = await ensureDemoArchive(workspace, { decisions: 100, days: 2, seed: 11 });
  expected = await inspectArchive(demo.path);
  generated = demo.summary as DemoSummary;
  server = await startServer({ staticDir: uiDir, dispatcher: createDispatcher({ mode: 'browser', workspace }) });
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
  // Any script error or CSP violation in the app's own page is a failure.
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  // The first start imports the demo case in the background: stop it before the workspace goes.
  await closeSessions();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('browser mode smoke test', () => {
  it('opens with the token and shows the demo archive inspection as tables', async () => {
    needChromium();
    // The app opens on the demo case; the inspection of an archive without importing it is its own screen.
    const response = await page.goto(`${server.url}#/inspect`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar
    await page.getByTestId('inspect-report').waitFor();

    await expect.poll(() => page.getByTestId('mode').textContent()).toBe('Browser mode');
    expect(await page.getByRole('heading', { name: 'Demo archive: inspection' }).count()).toBe(1);

    // The generator's own count is the independent truth; inspectArchive supplies the other columns.
    expect(generated.streams.length).toBeGreaterThan(0);
    for (const stream of generated.streams) {
      const cell = page.locator(`tr[data-stream="${stream.name}"] td[data-col="records"]`);
      expect(await cell.textContent()).toBe(formatCount(stream.records));
    }
    for (const stream of expected.streams) {
      const row = page.locator(`tr[data-stream="${stream.name}"]`);
      expect(await row.locator('td[data-col="records"]').textContent()).toBe(formatCount(stream.records));
      expect(await row.locator('td[data-col="chained"]').textContent()).toBe(formatCount(stream.chained));
      expect(await row.locator('td[data-col="checkpoints"]').textContent()).toBe(formatCount(stream.checkpoints));
    }
    for (const [kind, count] of Object.entries(expected.records.byKind)) {
      const cell = page.locator(`tr[data-kind="${kind}"] td[data-col="records"]`);
      expect(await cell.textContent()).toBe(formatCount(count));
    }
    const total = page.getByRole('table', { name: 'Records by kind' }).locator('tr.total td');
    expect(await total.textContent()).toBe(formatCount(expected.records.total));

    const presence = page.getByRole('table', { name: 'Files present' });
    const status = (item: string) => presence.locator(`tr[data-item="${item}"] td`).first().textContent();
    expect(await status('Checkpoints')).toContain(expected.present.checkpoints ? 'present' : 'absent');
    expect(await status('Object-store manifest')).toContain(expected.present.manifest ? 'present' : 'absent');
    expect(await status('Descriptor (archive.json)')).toContain(expected.present.descriptor ? 'present' : 'absent');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'home-light.png') });
    expect(problems).toEqual([]);
  });

  it('shows keyboard focus and switches to the dark theme from the keyboard', async () => {
    needChromium();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await skip.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');

    const toggle = page.getByRole('button', { name: /^Theme:/ });
    const lightBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await toggle.focus();
    await page.keyboard.press('Enter'); // system -> light
    await page.keyboard.press('Enter'); // light -> dark
    expect(await toggle.textContent()).toBe('Theme: dark');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(darkBackground).not.toBe(lightBackground);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'home-dark.png') });
    expect(problems).toEqual([]);
  });

  it('shows an inspection error in words for a path that is not an archive', async () => {
    needChromium();
    await page.getByLabel(/Archive path/).fill(path.join(tmp, 'no-such-archive'));
    await page.getByRole('button', { name: 'Inspect' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('no-such-archive');
  });

  it('refuses a browser that does not have the token', async () => {
    needChromium();
    // Last test: dropping the cookie makes this profile a stranger to the server.
    await context.clearCookies();
    const other = await context.newPage();
    const response = await other.goto(`${server.origin}/`);
    expect(response?.status()).toBe(401);
    await other.close();
  });
});
