// The Electron main process as Forge builds it (forge.config.ts + vite.*.config.ts through the Forge Vite plugin's
// own config generator), run in plain Node against a stub 'electron' module, because the Electron binary cannot be
// installed everywhere. This catches what tsc cannot: a bundle that fails to load (ESM/CommonJS mix-ups, missing
// externals), the wrong renderer path, and the shell's protocol, IPC and network rules as actually built.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type InlineConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import forgeConfig from '../../forge.config.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/server/security.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// Inside the checkout so that the bundle's bare imports (runtime dependencies) resolve to node_modules.
const outRoot = path.join(repoRoot, 'test-output', 'electron-main');

interface ForgeViteConfigGenerator {
  getBuildConfigs(): Promise<InlineConfig[]>;
  getRendererConfig(): Promise<InlineConfig[]>;
}
type GeneratorClass = new (config: unknown, projectDir: string, isProd: boolean) => ForgeViteConfigGenerator;
const { default: ViteConfigGenerator } = createRequire(import.meta.url)(
  '@electron-forge/plugin-vite/dist/ViteConfig.js',
) as { default: GeneratorClass };

let workspace: string;
interface Answer {
  ok: boolean;
  code?: string;
  message?: string;
  where?: string;
  result?: Record<string, unknown>;
}
interface WindowSummary {
  id: number;
  url: string;
  title: string;
  focused: number;
  closed: boolean;
}
let result: Record<string, unknown> & {
  ipcFromApp: { ok: boolean; result?: { mode: string; workspace: string } };
  ipcFromElsewhere: { ok: boolean; message?: string };
  ipcMalformed: { ok: boolean; code?: string };
  ipcFuzz: {
    calls: number;
    refused: number;
    answered: number;
    thrown: unknown[];
    badShape: unknown[];
    foreignAnswered: unknown[];
  };
  index: { status: number; csp: string; body: string };
  windows: Record<string, Answer> & {
    firstTitle: string;
    windowsAfterBeta: WindowSummary[];
    windowsAfterBetaAgain: WindowSummary[];
    betaLockedWhileOpen: boolean;
    betaLockedAfterClose: boolean;
    windowCountAfterReopen: number;
    reopenedUrl: string;
    notACase: string;
    openCaseDialog: { defaultPath: string; properties: string[] };
    openCaseFocusedAlpha: boolean;
    windowCountAfterMenu: number;
  };
  report: {
    state: string;
    error?: unknown;
    pdf?: string;
    printed: { url: string; options: Record<string, unknown>; cancels: Record<string, boolean> }[];
    printerWindow?: { show: boolean; webPreferences: Record<string, unknown>; destroyed: boolean; preload?: string };
    partitions: Record<string, unknown>;
    printedFileGone?: boolean;
  };
};

beforeAll(async () => {
  const vitePlugin = forgeConfig.plugins?.find((p) => (p as { name?: string }).name === 'vite') as
    { config: unknown } | undefined;
  if (!vitePlugin) throw new Error('forge.config.ts has no Vite plugin');
  const generator = new ViteConfigGenerator(vitePlugin.config, repoRoot, true);
  rmSync(outRoot, { recursive: true, force: true });
  const builds = await generator.getBuildConfigs();
  const renderers = await generator.getRendererConfig();
  for (const config of builds) {
    await build({
      ...config,
      configFile: false,
      logLevel: 'warn',
      build: { ...config.build, outDir: path.join(outRoot, 'build') },
    });
  }
  for (const config of renderers) {
    const outDir = path.join(outRoot, 'renderer', 'main_window');
    await build({ ...config, configFile: false, logLevel: 'warn', build: { ...config.build, outDir } });
  }

  workspace = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-electron-'));
  await ensureDemoArchive(workspace, { decisions: 100, days: 1, seed: 3 });
  const driver = fileURLToPath(new URL('./support/electron-driver.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [driver, path.join(outRoot, 'build', 'main.js')], {
    env: { ...process.env, AUDIT_WS_WORKSPACE: workspace },
    timeout: 60_000,
  });
  result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
});

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe('Electron main process, as built by Forge', () => {
  it('builds main (ES module), preload and renderer where main looks for them', () => {
    expect(existsSync(path.join(outRoot, 'build', 'main.js'))).toBe(true);
    expect(existsSync(path.join(outRoot, 'build', 'preload.js'))).toBe(true);
    expect(existsSync(path.join(outRoot, 'renderer', 'main_window', 'index.html'))).toBe(true);
  });

  it('opens a locked-down window on the app scheme', () => {
    expect(result.sandboxEnabled).toBe(true);
    expect(result.privilegedSchemes).toEqual([
      { scheme: 'audit-ws', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(result.webPreferences).toMatchObject({
      preload: 'preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(result.loadedUrl).toBe('audit-ws://app/index.html');
    expect(result.menu).toEqual(['File', 'editMenu', 'View', 'windowMenu']);
    expect(result.fileMenu).toEqual([
      'Open case…',
      'Case list',
      'separator',
      'Open archive…',
      'Open archive folder…',
      'separator',
      'close',
      'quit',
    ]);
  });

  it('serves the built UI with the strict CSP and refuses traversal and other hosts', () => {
    expect(result.index.status).toBe(200);
    expect(result.index.csp).toBe(CONTENT_SECURITY_POLICY);
    expect(result.index.body).toContain('<div id="root"></div>');
    expect(result.traversal).toMatchObject({ status: 404 });
    expect(result.otherHost).toMatchObject({ status: 404 });
  });

  it("answers each window's requests on that window only, never app-wide", () => {
    expect(result.globalIpcHandlers).toEqual([]);
    expect(result.windowIpcHandlers).toEqual(['contract', 'open-case']);
  });

  it("refuses every fuzzed request that is not from the window's own app page, and answers each with one plain reply", () => {
    const f = result.ipcFuzz;
    expect(f.thrown).toEqual([]);
    expect(f.badShape).toEqual([]);
    expect(f.foreignAnswered).toEqual([]);
    expect(f.calls).toBeGreaterThanOrEqual(150 * 3 * 2);
    // Every forged sender was refused (150 payloads x 2 channels each); the app page got answers too.
    expect(f.refused).toBeGreaterThanOrEqual(150 * 2 * 2);
    expect(f.answered).toBeGreaterThan(0);
  });

  it('answers contract requests from the app only', () => {
    expect(result.ipcFromApp).toMatchObject({ ok: true, result: { mode: 'electron', workspace } });
    expect(result.ipcFromElsewhere).toMatchObject({ ok: false });
    expect(result.ipcFromElsewhere.message).toContain('https://evil.example/');
    expect(result.ipcMalformed).toMatchObject({ ok: false, code: 'BAD_USAGE' });
  });

  it('opens one window per case, each asking only about its own case', () => {
    const w = result.windows;
    expect(w.createAlpha).toMatchObject({ ok: true });
    expect(w.createBeta).toMatchObject({ ok: true });
    // The first window shows the case list: it opens a case before asking about it, and becomes its window.
    expect(w.unboundAsksAlpha).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    expect(w.unboundAsksAlpha.message).toContain('open case "alpha"');
    expect(w.openAlphaHere).toEqual({ ok: true, where: 'here' });
    expect(w.firstTitle).toBe('Alpha · AI Audit Workstation');
    expect(w.alphaFromAlpha).toMatchObject({ ok: true });
    expect(w.betaFromAlpha).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    expect(w.betaFromAlpha.message).toContain('this window shows case "alpha", not "beta"');
    // Another case: its own window, opened where the link pointed; asked again: focused, not duplicated.
    expect(w.openBeta).toEqual({ ok: true, where: 'elsewhere' });
    expect(w.windowsAfterBeta).toHaveLength(2);
    expect(w.windowsAfterBeta[1]).toMatchObject({
      url: 'audit-ws://app/index.html#/case/beta/explorer?modelId=m1',
      title: 'Beta · AI Audit Workstation',
    });
    expect(w.openBetaAgain).toEqual({ ok: true, where: 'elsewhere' });
    expect(w.windowsAfterBetaAgain).toHaveLength(2);
    expect(w.windowsAfterBetaAgain[1].focused).toBe(w.windowsAfterBeta[1].focused + 1);
    expect(w.betaFromBeta).toMatchObject({ ok: true });
    expect(w.betaLockedWhileOpen).toBe(true);
    // Sender checks: a request arriving at beta's handlers from another window's page is refused.
    expect(w.forgedSender).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    expect(w.badHash).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    expect(w.deleteBetaFromAlpha).toMatchObject({ ok: false, code: 'CASE_LOCKED' });
    expect(w.deleteBetaFromAlpha.message).toContain('close that window first');
  });

  it('releases the case when its window closes', () => {
    const w = result.windows;
    expect(w.betaLockedAfterClose).toBe(false);
    expect(w.reopenBeta).toEqual({ ok: true, where: 'elsewhere' });
    expect(w.windowCountAfterReopen).toBe(3);
    expect(w.reopenedUrl).toBe('audit-ws://app/index.html#/case/beta/overview');
  });

  it('opens a case from File › Open case… and says what to do with a folder that is not one', () => {
    const w = result.windows;
    expect(w.openCaseDialog.properties).toEqual(['openDirectory']);
    expect(w.openCaseDialog.defaultPath).toBe(path.join(workspace, 'cases'));
    expect(w.notACase).toContain('is not a case of this workspace');
    expect(w.notACase).toContain('File › Open archive…');
    expect(w.openCaseFocusedAlpha).toBe(true);
    expect(w.windowCountAfterMenu).toBe(3);
  });

  it("prints the report's PDF with Electron in a locked-down offscreen window, not with playwright-core", () => {
    const r = result.report;
    expect(r.error).toBeUndefined();
    expect(r.state).toBe('done');
    expect(r.pdf).toMatch(/^%PDF-stub \d+$/);
    expect(r.printed).toHaveLength(1);
    const [print] = r.printed;
    expect(print.url).toMatch(/^file:\/\/.*\/report\.html$/);
    expect(print.options).toMatchObject({
      pageSize: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      margins: { marginType: 'custom', top: 0.63, bottom: 0.709, left: 0.551, right: 0.551 },
    });
    expect(String(print.options.footerTemplate)).toContain('Alpha · AI audit report');
    // While printing, the page may load its own file and nothing else.
    expect(print.cancels).toEqual({ printed: false, remote: true, otherFile: true, app: true });
    expect(r.printerWindow).toMatchObject({
      show: false,
      destroyed: true,
      webPreferences: {
        javascript: false,
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        offscreen: true,
      },
    });
    expect(r.printerWindow?.preload).toBeUndefined();
    expect(r.partitions).toEqual({ 'audit-ws-report-pdf': { cache: false } });
    expect(r.printedFileGone).toBe(true);
  });

  it('keeps playwright-core out of the desktop bundle', () => {
    const build = path.join(outRoot, 'build');
    for (const file of readdirSync(build)) {
      const text = readFileSync(path.join(build, file), 'utf8');
      expect(text, file).not.toContain('createInProcessPlaywright');
    }
  });

  it('cancels remote and file requests and denies permissions', () => {
    expect(result.cancels).toEqual({ remote: true, file: true, app: false });
    expect(result.permissionGranted).toBe(false);
  });
});
