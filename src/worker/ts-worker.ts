import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker_threads Worker on a TypeScript entry module. `workerData.entry` names the module; the
 * rest of `data` reaches it unchanged.
 *
 * The entry is bundled once per process by esbuild into plain JavaScript, written under
 * node_modules/.cache/audit-ws-workers/ (named by its content; its packages resolve from there), and the
 * worker runs that: tsx registering itself in each worker took 220 ms and 0.2 s of CPU a worker (an
 * import's two scan workers: 0.45 s of CPU at its start, against 0.1 s bundled). Where that cannot be
 * done (no esbuild, a read-only install, an entry that reads import.meta, AUDIT_WS_WORKER_BUNDLE=0), the
 * worker registers tsx itself (boot.mjs).
 */
export function startTsWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  return new Worker(bundled(entry) ?? bootUrl(), { workerData: { ...data, entry: entry.href } });
}

/**
 * Built outside the `new Worker(new URL(...))` pattern on purpose: bundlers rewrite that pattern into a
 * browser worker, and this is a Node worker_threads one.
 */
function bootUrl(): URL {
  const name = './boot.mjs';
  return new URL(name, import.meta.url);
}

const bundles = new Map<string, URL | undefined>();

/** The entry's bundle, made on first use in this process; undefined when there is none (see above). */
export function bundled(entry: URL): URL | undefined {
  if (process.env.AUDIT_WS_WORKER_BUNDLE === '0') return undefined;
  if (!bundles.has(entry.href)) {
    let url: URL | undefined;
    try {
      url = bundle(entry);
    } catch {
      url = undefined;
    }
    bundles.set(entry.href, url);
  }
  return bundles.get(entry.href);
}

function bundle(entry: URL): URL | undefined {
  if (entry.protocol !== 'file:' || !entry.pathname.endsWith('.ts')) return undefined;
  const file = fileURLToPath(entry);
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const text = esbuild.buildSync({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text;
  // A module that finds files next to itself would look next to the bundle instead.
  if (text.includes('import.meta')) return undefined;
  // Beside the project's packages, so that the bundle's imports of them resolve as the sources' do.
  const esbuildMain = require.resolve('esbuild');
  const marker = `${path.sep}node_modules${path.sep}`;
  const modules = esbuildMain.slice(0, esbuildMain.lastIndexOf(marker) + marker.length - 1);
  const dir = path.join(modules, '.cache', 'audit-ws-workers');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const target = path.join(dir, `${path.basename(file, '.ts')}-${hash}.mjs`);
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    const part = `${target}.${process.pid}.part`;
    writeFileSync(part, text);
    renameSync(part, target);
  }
  return pathToFileURL(target);
}
