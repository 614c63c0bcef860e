import { parentPort } from 'node:worker_threads';
import { runScanJob, serializeError, type ScanJob } from './scan-job.ts';

/** Progress is posted in steps of this many bytes (a message per 1 MiB chunk would be 1,300 for 1M decisions). */
const BYTES_STEP = 8 * 1024 * 1024;

const running = new Map<number, AbortController>();

parentPort!.on('message', (msg: { type: 'scan'; id: number; job: ScanJob } | { type: 'cancel'; id: number }) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  const { id, job } = msg;
  const controller = new AbortController();
  running.set(id, controller);
  let pending = 0;
  const flush = (): void => {
    if (pending === 0) return;
    parentPort!.postMessage({ type: 'bytes', id, bytes: pending });
    pending = 0;
  };
  runScanJob(job, controller.signal, (n) => {
    pending += n;
    if (pending >= BYTES_STEP) flush();
  }).then(
    (result) => {
      running.delete(id);
      flush();
      parentPort!.postMessage({ type: 'done', id, ok: true, result });
    },
    (err: unknown) => {
      running.delete(id);
      flush();
      parentPort!.postMessage({ type: 'done', id, ok: false, error: serializeError(err) });
    },
  );
});
