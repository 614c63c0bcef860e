#!/usr/bin/env node
// `npm start`: makes sure the demo archive exists in the workspace, then starts the desktop app when the
// Electron binary is installed, or else browser mode (`audit-ws serve`) with the UI built on demand, saying why.
// Extra arguments go to `audit-ws serve` in browser mode, e.g. `npm start -- --port 8080 --no-open`; with
// `--renderer DIR` that built UI is served as it is (no build). AUDIT_WS_BROWSER_MODE=1 chooses browser mode even
// where Electron is installed. test/e2e/start.test.ts runs this script.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const projectDir = fileURLToPath(new URL('..', import.meta.url));
const { ensureDemoArchive, resolveWorkspace } = await import('../src/contract/workspace.ts');

const workspace = resolveWorkspace();
const existing = existsSync(path.join(workspace, 'demo', 'summary.json'));
if (!existing) process.stdout.write('Generating the demo archive (first run)…\n');
const demo = await ensureDemoArchive(workspace);
process.stdout.write(`Demo archive: ${demo.path}${demo.created ? ' (generated now)' : ''}\n`);

/** `{binary}` when the desktop app can start, else `{why}`: the reason browser mode starts instead. */
function desktopApp() {
  if (process.env.AUDIT_WS_BROWSER_MODE === '1') {
    return { why: 'AUDIT_WS_BROWSER_MODE=1 is set, which asks for browser mode' };
  }
  try {
    // The electron package exports the path of its binary, and throws when the download was skipped.
    const binary = createRequire(import.meta.url)('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
  } catch (err) {
    if (err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes("'electron'")) {
      return { why: 'the electron package is not installed (npm install left it out)' };
    }
  }
  return {
    why:
      'the Electron binary is not installed (offline installs skip its download with ELECTRON_SKIP_BINARY_DOWNLOAD=1); ' +
      'to get the desktop app, run `node node_modules/electron/install.js` once where a network is available',
  };
}

/** Newest modification time of the UI's sources, so an edited renderer is rebuilt before serving. */
function newestSourceTime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function rendererNeedsBuild() {
  const built = path.join(projectDir, 'dist', 'renderer', 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newestSourceTime(path.join(projectDir, 'renderer')),
    statSync(path.join(projectDir, 'vite.renderer.config.ts')).mtimeMs,
  );
  return sources > statSync(built).mtimeMs;
}

const desktop = desktopApp();
const rendererGiven = process.argv.slice(2).some((a) => a === '--renderer' || a.startsWith('--renderer='));

if (desktop.binary) {
  const forge = path.join(projectDir, 'node_modules', '.bin', 'electron-forge');
  const child = spawn(forge, ['start'], {
    cwd: projectDir,
    stdio: 'inherit',
    env: { ...process.env, AUDIT_WS_WORKSPACE: workspace },
    shell: process.platform === 'win32',
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.stdout.write(
    `Starting browser mode instead of the desktop app: ${desktop.why}.\n` +
      'Browser mode is the same workstation in your web browser, on this computer only; it opens on the demo case.\n',
  );
  if (!rendererGiven && rendererNeedsBuild()) {
    process.stdout.write('Building the UI into dist/renderer…\n');
    const { build } = await import('vite');
    await build({ configFile: path.join(projectDir, 'vite.renderer.config.ts'), logLevel: 'warn' });
  }
  const { runCli } = await import('../src/cli/main.ts');
  process.exitCode = await runCli([
    process.argv[0],
    'audit-ws',
    'serve',
    '--workspace',
    workspace,
    ...process.argv.slice(2),
  ]);
}
