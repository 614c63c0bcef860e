import { parentPort } from 'node:worker_threads';
import { scanChunk, type ChunkJob } from './scan-chunk.ts';

parentPort!.on('message', (job: ChunkJob) => {
  scanChunk(job).then(
    (result) =>
      parentPort!.postMessage({ ok: true, result }, [
        result.lineNos.buffer as ArrayBuffer,
        result.seqs.buffer as ArrayBuffer,
        result.hashes.buffer as ArrayBuffer,
        result.leaves.buffer as ArrayBuffer,
        result.normal.buffer as ArrayBuffer,
      ]),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// booted: the pool sends jobs only from now on
parentPort!.postMessage({ ready: true });
