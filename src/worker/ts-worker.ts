import { Worker } from 'node:worker_threads';

/**
 * Starts a worker_threads Worker on a TypeScript entry module through the one tsx bootstrap.
 * `workerData.entry` names the module; the rest of `data` reaches it unchanged.
 */
export function startTsWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  return new Worker(bootUrl(), { workerData: { ...data, entry: entry.href } });
}

/**
 * Built outside the `new Worker(new URL(...))` pattern on purpose: bundlers rewrite that pattern into a
 * browser worker, and this is a Node worker_threads one.
 */
function bootUrl(): URL {
  const name = './boot.mjs';
  return new URL(name, import.meta.url);
}
