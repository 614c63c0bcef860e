// The regulator's journey in headless Chromium against the real browser-mode server: an evidence package cut
// from a demo case (signed, explanation artefacts included; the source archive then deleted) is opened from
// the cases screen with the producer's and the investigator's keys pinned; the result shows the package's
// verdict; the new case carries a read-only badge, its Verification screen shows the package's verification,
// a decision's timeline shows its explanation with every event verified, and its write screens say why they
// are closed. Screenshots go to test-output/screenshots/package-open-*.png.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/case/workspace.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';
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
let zip: string;
let keys: { producer: string; investigator: string; tsa: string };
/** A packaged decision with an explanation artefact, and the artefact as the archive held it. */
let explained: { decisionId: string; attributions: { feature: string; contribution: number }[] };
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `package-open-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (chromiumMissing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-package-open-'));
  const uiDir = path.join(tmp, 'ui');
  const archive = path.join(tmp, 'demo');
  await Promise.all([
    build({
      configFile: path.join(repoRoot, 'vite.renderer.config.ts'),
      build: { outDir: uiDir, emptyOutDir: true },
      logLevel: 'warn',
    }),
    generateDemoArchive({ out: archive, decisions: 300, days: 3, seed: 8 }),
  ]);
  // The keys a regulator obtains out of band.
  const keyDir = path.join(tmp, 'keys');
  mkdirSync(keyDir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(path.join(keyDir, 'investigator.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  keys = {
    producer: path.join(keyDir, 'producer.pub.pem'),
    investigator: path.join(keyDir, 'investigator.pub.pem'),
    tsa: path.join(keyDir, 'tsa-root.pem'),
  };
  writeFileSync(keys.investigator, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(keys.producer, readFileSync(path.join(archive, 'keys/checkpoint-signing.pub.pem')));
  writeFileSync(keys.tsa, readFileSync(path.join(archive, 'keys/tsa-root.pem')));
  const first = readdirSync(path.join(archive, 'explanations')).sort()[0];
  explained = JSON.parse(readFileSync(path.join(archive, 'explanations', first), 'utf8'));

  // The investigator's side: a case of the demo archive and a package of ten decisions, one with an explanation.
  const workspace = path.join(tmp, 'workspace');
  const ws = new Workspace(workspace);
  const h = await ws.create('Credit review', { actor: 'Ada Investigator' });
  try {
    expect((await importArchives(h, [archive])).status).toBe('done');
    const others = (await h.duck.runAndReadAll('SELECT decision_id FROM decisions ORDER BY seq LIMIT 9'))
      .getRowsJS()
      .map((r) => String(r[0]));
    zip = path.join(tmp, 'evidence.zip');
    await writeEvidencePackage(h, {
      out: zip,
      selection: { decisionIds: [explained.decisionId, ...others.filter((id) => id !== explained.decisionId)] },
      signingKeyFile: path.join(keyDir, 'investigator.pem'),
    });
  } finally {
    await h.close();
  }
  rmSync(archive, { recursive: true });

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
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await closeSessions();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('opening an evidence package (browser mode)', () => {
  it('opens the package from the cases screen and shows its verdict', async () => {
    if (chromiumMissing) throw new Error(chromiumMissing);
    await page.goto(`${server.url}`);
    await page.evaluate(() => {
      window.location.hash = '#/cases';
    });
    await page.getByTestId('cases-table').waitFor();
    await page.getByRole('button', { name: 'Open evidence package…' }).click();
    const form = page.getByTestId('open-package');
    await form.waitFor();
    await page.getByLabel('Package (absolute path)').fill(zip);
    expect(await page.getByLabel('Case name').inputValue()).toBe('evidence (package)');
    await page.getByLabel('Case name').fill('Regulator: credit review');
    await page.getByLabel('Trusted keys (optional)').fill(`${keys.producer}\n${keys.investigator}`);
    await page.getByLabel('Trusted time-stamp roots (optional)').fill(keys.tsa);
    await page.getByRole('button', { name: 'Verify and open as a read-only case' }).click();
    const result = page.getByTestId('open-package-result');
    await result.waitFor({ timeout: 90_000 });
    expect(await result.locator('h3 [data-verdict]').getAttribute('data-verdict')).toBe('intact');
    expect(await result.textContent()).toMatch(/1 explanation artefact/);
    // The list shows the new case with its badge.
    const row = page.locator('[data-testid="cases-table"] tr[data-case="regulator-credit-review"]');
    await row.waitFor();
    expect(await row.getByTestId('read-only-badge').textContent()).toMatch(/read-only/);
    await shot('01-result');
    expect(problems).toEqual([]);
  });

  it("shows the package's verification on the case's Verification screen", async () => {
    if (chromiumMissing) throw new Error(chromiumMissing);
    await page.getByRole('link', { name: /its verification/ }).click();
    await page.waitForURL(/#\/case\/regulator-credit-review\/verify/);
    await page.getByTestId('package-verification-note').waitFor();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 30_000 });
    expect(await verdict.locator('[data-verdict]').first().getAttribute('data-verdict')).toBe('intact');
    expect(
      await page
        .locator('[data-testid="stream-status"] tr[data-stream="decisions"] [data-verdict]')
        .first()
        .getAttribute('data-verdict'),
    ).toBe('intact');
    expect(await page.locator('.case-nav').getByTestId('read-only-badge').count()).toBe(1);
    await shot('02-verification');
    expect(problems).toEqual([]);
  });

  it("shows a packaged decision's timeline with its explanation, every event verified", async () => {
    if (chromiumMissing) throw new Error(chromiumMissing);
    await page.evaluate((id) => {
      window.location.hash = `#/case/regulator-credit-review/timeline?decision=${id}`;
    }, explained.decisionId);
    const chart = page.getByRole('img', { name: 'Feature contributions to the output' });
    await chart.waitFor();
    expect(await chart.locator('rect.bar').count()).toBe(explained.attributions.length);
    const decisionEvent = page.locator('[data-testid="timeline-events"] li[data-kind="decision"] [data-verdict]');
    expect(await decisionEvent.getAttribute('data-verdict')).toBe('passed');
    const explanationEvent = page.locator('[data-testid="timeline-events"] li[data-kind="explanation"] [data-verdict]');
    expect(await explanationEvent.getAttribute('data-verdict')).toBe('passed');
    await shot('03-timeline');
    expect(problems).toEqual([]);
  });

  it('closes the write screens with the reason', async () => {
    if (chromiumMissing) throw new Error(chromiumMissing);
    await page.evaluate(() => {
      window.location.hash = '#/case/regulator-credit-review/import';
    });
    const notice = page.getByTestId('read-only-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/opened from the evidence package evidence\.zip/);
    expect(await page.getByTestId('import-wizard').count()).toBe(0);
    await shot('04-import-closed');
    await page.evaluate(() => {
      window.location.hash = '#/case/regulator-credit-review/report';
    });
    await page.getByTestId('report-screen').waitFor();
    await page.getByTestId('read-only-notice').waitFor();
    expect(await page.getByRole('button', { name: /Write the package/ }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
