#!/usr/bin/env node
// `npm start`: makes sure the demo archive exists in the workspace, then starts the desktop app when the
// Electron binary is installed, or else browser mode (`audit-ws serve`) with the UI built on demand.
// Extra arguments go to `audit-ws serve` in browser mode, e.g. `npm start -- --port 8080 --no-open`.
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

/** The Electron binary path when it was downloaded at install time; undefined otherwise. */
function electronBinary() {
  try {
    // The electron package exports the path of its binary, and throws when the download was skipped.
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
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

if (electronBinary()) {
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
    'Electron binary not installed (offline install with ELECTRON_SKIP_BINARY_DOWNLOAD=1): starting browser mode\n',
  );
  if (rendererNeedsBuild()) {
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
