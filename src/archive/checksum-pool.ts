import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../worker/ts-worker.ts';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { checksumsOfFile, type ChecksumAlgorithm, type ObjectChecksums } from './s3checksums.ts';

/** Hex SHA-256 of a file: by a worker of `pool` when given, else on this thread. */
export async function fileSha256(path: string, pool?: ChecksumPool): Promise<string> {
  if (pool) {
    const sums = await pool.checksums(path, undefined, ['SHA256']);
    return Buffer.from(sums.fullObject.SHA256, 'base64').toString('hex');
  }
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Below this many bytes a pool is not worth its workers' start-up (a few hundred milliseconds).
 * AUDIT_WS_CHECKSUM_POOL_MIN_BYTES overrides it (tests run the pool on small archives).
 */
export function checksumPoolMinBytes(): number {
  const v = process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES;
  return v && /^\d+$/.test(v) ? Number(v) : 256 * 1024 * 1024;
}

/**
 * Results wanted one after another, in order, started up to `window` items ahead of the one taken, so the
 * pool's workers stay busy while the caller judges each result in turn. `start(i)` gives undefined for an
 * item with nothing to compute. Take the items in order, each once.
 */
export class InOrderAhead<T> {
  private readonly started = new Map<number, Promise<T>>();
  private next = 0;

  constructor(
    private readonly count: number,
    private readonly window: number,
    private readonly start: (index: number) => Promise<T> | undefined,
  ) {}

  take(index: number): Promise<T> | undefined {
    for (const end = Math.min(index + 1 + this.window, this.count); this.next < end; this.next++) {
      const p = this.start(this.next);
      if (!p) continue;
      p.catch(() => undefined); // its error reaches the caller when the item is taken
      this.started.set(this.next, p);
    }
    const p = this.started.get(index);
    this.started.delete(index);
    return p;
  }
}

interface Job {
  id: number;
  path: string;
  partSizes?: number[];
  algorithms: (ChecksumAlgorithm | 'MD5')[];
  resolve: (r: ObjectChecksums) => void;
  reject: (e: unknown) => void;
}

/**
 * Checksums of whole files (S3 CRCs, SHA-1, SHA-256, MD5 ETags), computed by one worker per core.
 * Node's hashes run on the thread that feeds them, so the manifest check of a large archive, one file
 * after another on the main thread, kept one core busy and the other idle. A file a worker could not
 * read is read again on the calling thread, so the error the caller sees is the usual one.
 */
export class ChecksumPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<number, { job: Job; worker: Worker }>();
  private readonly workers: Worker[] = [];
  private nextId = 0;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) {
      const worker = startTsWorker(new URL('./checksum-worker.ts', import.meta.url));
      worker.on('message', (msg: { id: number; ok: boolean; result?: ObjectChecksums }) => {
        const run = this.running.get(msg.id);
        this.running.delete(msg.id);
        this.idle.push(worker);
        if (run) {
          if (msg.ok) run.job.resolve(msg.result!);
          else this.inline(run.job);
        }
        this.pump();
      });
      worker.on('error', () => {
        // a worker that failed to start or crashed: its job, and any later ones, run on this thread
        for (const [id, run] of this.running) {
          if (run.worker !== worker) continue;
          this.running.delete(id);
          this.inline(run.job);
        }
        const at = this.workers.indexOf(worker);
        if (at >= 0) this.workers.splice(at, 1);
        if (this.workers.length === 0) for (const job of this.queue.splice(0)) this.inline(job);
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  checksums(
    path: string,
    partSizes: number[] | undefined,
    algorithms: (ChecksumAlgorithm | 'MD5')[],
  ): Promise<ObjectChecksums> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, path, partSizes, algorithms, resolve, reject };
      if (this.workers.length === 0) this.inline(job);
      else {
        this.queue.push(job);
        this.pump();
      }
    });
  }

  private inline(job: Job): void {
    checksumsOfFile(job.path, job.partSizes, job.algorithms).then(job.resolve, job.reject);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      if (!this.workers.includes(worker)) continue;
      const job = this.queue.shift()!;
      this.running.set(job.id, { job, worker });
      const { id, path, partSizes, algorithms } = job;
      worker.postMessage({ id, path, partSizes, algorithms });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}
