import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../worker/ts-worker.ts';
import type { ChunkJob, ChunkResult } from './scan-chunk.ts';

interface Pending {
  job: ChunkJob;
  resolve: (r: ChunkResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A fixed pool of scan workers, one per core. Jobs are byte ranges of data files; results come back as
 * typed arrays (transferred, not copied) and the caller consumes them in file order.
 */
export class ScanPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const worker = startTsWorker(new URL('./worker.ts', import.meta.url));
    worker.on('message', (msg: { ok: true; result: ChunkResult } | { ok: false; error: string }) => {
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
      p?.reject(err);
      if (!this.closed) {
        this.idle.push(this.spawn());
        this.next();
      }
    });
    worker.unref();
    return worker;
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
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }
}
