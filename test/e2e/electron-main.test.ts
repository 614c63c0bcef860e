// The Electron main process as Forge builds it (forge.config.ts + vite.*.config.ts through the Forge Vite plugin's
// own config generator), run in plain Node against a stub 'electron' module, because the Electron binary cannot be
// installed everywhere. This catches what tsc cannot: a bundle that fails to load (ESM/CommonJS mix-ups, missing
// externals), the wrong renderer path, and the shell's protocol, IPC and network rules as actually built.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
let result: Record<string, unknown> & {
  ipcFromApp: { ok: boolean; result?: { mode: string; workspace: string } };
  ipcFromElsewhere: { ok: boolean; message?: string };
  ipcMalformed: { ok: boolean; code?: string };
  index: { status: number; csp: string; body: string };
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
    expect(result.menu).toEqual(['File', 'editMenu', 'View']);
    expect(result.fileMenu).toEqual(['Open archive…', 'Open archive folder…', 'separator', 'quit']);
  });

  it('serves the built UI with the strict CSP and refuses traversal and other hosts', () => {
    expect(result.index.status).toBe(200);
    expect(result.index.csp).toBe(CONTENT_SECURITY_POLICY);
    expect(result.index.body).toContain('<div id="root"></div>');
    expect(result.traversal).toMatchObject({ status: 404 });
    expect(result.otherHost).toMatchObject({ status: 404 });
  });

  it('answers contract requests from the app only', () => {
    expect(result.ipcFromApp).toMatchObject({ ok: true, result: { mode: 'electron', workspace } });
    expect(result.ipcFromElsewhere).toMatchObject({ ok: false });
    expect(result.ipcFromElsewhere.message).toContain('https://evil.example/');
    expect(result.ipcMalformed).toMatchObject({ ok: false, code: 'BAD_USAGE' });
  });

  it('cancels remote and file requests and denies permissions', () => {
    expect(result.cancels).toEqual({ remote: true, file: true, app: false });
    expect(result.permissionGranted).toBe(false);
  });
});
