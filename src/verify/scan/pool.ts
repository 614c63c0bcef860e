import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../worker/ts-worker.ts';
import { scanChunk, type ChunkJob, type ChunkResult } from './scan-chunk.ts';

interface Pending {
  job: ChunkJob;
  resolve: (r: ChunkResult) => void;
  reject: (e: unknown) => void;
}

type WorkerMessage = { ready: true } | { ok: true; result: ChunkResult } | { ok: false; error: string };

/**
 * A fixed pool of scan workers, one per core. Jobs are byte ranges of data files; results come back as
 * typed arrays (transferred, not copied) and the caller consumes them in file order.
 *
 * A worker takes a few hundred milliseconds to boot (it loads the TypeScript core through tsx). Until
 * the first one is ready, the calling thread scans queued ranges itself, one at a time, so that time
 * is not lost; once a worker is ready, every range goes to the workers.
 */
export class ScanPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly all = new Set<Worker>();
  private closed = false;
  private anyReady = false;
  private inlineRunning = false;

  constructor(
    readonly size = Math.max(1, availableParallelism()),
    /** scan on the calling thread while no worker is ready yet */
    private readonly inlineWhileBooting = true,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const worker = startTsWorker(new URL('./worker.ts', import.meta.url));
    this.all.add(worker);
    worker.on('message', (msg: WorkerMessage) => {
      if ('ready' in msg) {
        this.anyReady = true;
        this.idle.push(worker);
        this.next();
        return;
      }
      const p = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (p) {
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(msg.error));
      }
      this.next();
    });
    worker.on('error', (err) => {
      const p = this.busy.get(worker);
      this.busy.delete(worker);
      this.all.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      p?.reject(err);
      if (!this.closed) {
        this.spawn();
        this.next();
      }
    });
    worker.unref();
  }

  private next(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const p = this.queue.shift()!;
      this.busy.set(worker, p);
      worker.ref();
      worker.postMessage(p.job);
    }
    for (const w of this.idle) w.unref();
    if (this.inlineWhileBooting && !this.anyReady && !this.inlineRunning && this.queue.length > 0) {
      this.inlineRunning = true;
      // after the current turn, so a worker's ready message that has arrived is seen first
      setImmediate(() => {
        this.inlineRunning = false;
        if (this.closed || this.anyReady || this.queue.length === 0) return this.next();
        const p = this.queue.shift()!;
        this.inlineRunning = true;
        scanChunk(p.job)
          .then(p.resolve, p.reject)
          .finally(() => {
            this.inlineRunning = false;
            this.next();
          });
      });
    }
  }

  run(job: ChunkJob): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('scan pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('scan pool closed'));
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
