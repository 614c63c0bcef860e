/**
 * Scan workers: the pass over each data file before it is loaded (SHA-256, line facts, the copy's line
 * index: scan-job.ts) for several files at once, one worker thread per core (at most four). On the
 * import's own thread that pass ran one file at a time on one core, while the kernel's copies took part of
 * the other: 3.1 s of a 15 s import of 1M decisions; with two workers, 2.6 to 2.8 s. A job whose worker fails to start or dies is run
 * again on the calling thread, so the result and any error are the usual ones.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AuditWsError } from '../errors.ts';
import { startTsWorker } from '../worker/ts-worker.ts';
import { deserializeError, runScanJob, type ScanJob, type ScanJobResult, type SerializedError } from './scan-job.ts';

/**
 * Below this many bytes of data files the pool is not worth its workers' start-up (about 0.1 s for two,
 * 0.3 s where they load through tsx: src/worker/ts-worker.ts).
 * AUDIT_WS_SCAN_POOL_MIN_BYTES overrides it (tests run the pool on small archives).
 */
export function scanPoolMinBytes(): number {
  const v = process.env.AUDIT_WS_SCAN_POOL_MIN_BYTES;
  return v && /^\d+$/.test(v) ? Number(v) : 256 * 1024 * 1024;
}

interface Job {
  id: number;
  job: ScanJob;
  onBytes: (n: number) => void;
  /** Bytes already reported, so that a job run again reports only what is new. */
  reported: number;
  resolve: (r: ScanJobResult) => void;
  reject: (e: unknown) => void;
  worker?: Worker;
}

type WorkerMessage =
  | { type: 'bytes'; id: number; bytes: number }
  | { type: 'done'; id: number; ok: true; result: ScanJobResult }
  | { type: 'done'; id: number; ok: false; error: SerializedError };

export class ScanPool {
  /** Pools started in this process (the tests' evidence that an import used one). */
  static started = 0;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<number, Job>();
  private nextId = 0;

  constructor(
    /** Cancels every job, queued or running. */
    private readonly signal?: AbortSignal,
    readonly size = Math.min(4, Math.max(1, availableParallelism())),
  ) {
    ScanPool.started++;
    signal?.addEventListener('abort', () => this.cancelAll(), { once: true });
    for (let i = 0; i < size; i++) {
      const worker = startTsWorker(new URL('./scan-worker.ts', import.meta.url));
      worker.on('message', (msg: WorkerMessage) => this.onMessage(worker, msg));
      worker.on('error', () => this.lose(worker));
      worker.on('exit', () => this.lose(worker));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Runs one job on a worker (or on this thread when none is left); `onBytes` hears the bytes scanned. */
  scan(job: ScanJob, onBytes: (n: number) => void): Promise<ScanJobResult> {
    return new Promise((resolve, reject) => {
      if (this.signal?.aborted) return reject(new AuditWsError('CANCELLED', 'import cancelled'));
      const j: Job = { id: this.nextId++, job, onBytes, reported: 0, resolve, reject };
      if (this.workers.length === 0) this.inline(j);
      else {
        this.queue.push(j);
        this.pump();
      }
    });
  }

  private onMessage(worker: Worker, msg: WorkerMessage): void {
    const j = this.running.get(msg.id);
    if (!j) return;
    if (msg.type === 'bytes') {
      j.reported += msg.bytes;
      j.onBytes(msg.bytes);
      return;
    }
    this.running.delete(msg.id);
    this.idle.push(worker);
    if (msg.ok) j.resolve(msg.result);
    else j.reject(deserializeError(msg.error));
    this.pump();
  }

  private cancelAll(): void {
    for (const j of this.queue.splice(0)) j.reject(new AuditWsError('CANCELLED', 'import cancelled'));
    for (const j of this.running.values()) j.worker?.postMessage({ type: 'cancel', id: j.id });
  }

  /** A worker that failed to start or died: its job, and any later ones once none is left, run on this thread. */
  private lose(worker: Worker): void {
    const at = this.workers.indexOf(worker);
    if (at < 0) return;
    this.workers.splice(at, 1);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    for (const [id, j] of this.running) {
      if (j.worker !== worker) continue;
      this.running.delete(id);
      this.inline(j);
    }
    if (this.workers.length === 0) for (const j of this.queue.splice(0)) this.inline(j);
  }

  private inline(j: Job): void {
    let skip = j.reported;
    const onBytes = (n: number): void => {
      const fresh = Math.max(0, n - skip);
      skip = Math.max(0, skip - n);
      if (fresh > 0) j.onBytes(fresh);
    };
    runScanJob(j.job, this.signal, onBytes).then(j.resolve, j.reject);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const j = this.queue.shift() as Job;
      j.worker = worker;
      this.running.set(j.id, j);
      worker.postMessage({ type: 'scan', id: j.id, job: j.job });
    }
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
