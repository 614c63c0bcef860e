/**
 * Long-running work (import, verification, report, package) as jobs the UI can watch and cancel. One
 * mechanism for both transports: `jobs.get` with `afterVersion` + `waitMs` is a long poll, answered as soon
 * as the job changes (or when the wait runs out), so Electron IPC and HTTP need nothing beyond a normal
 * request. Each job carries a version that grows with every change, so a caller never misses the end.
 */
import { randomUUID } from 'node:crypto';
import { AuditWsError, toErrorPayload, type ErrorPayload } from '../errors.ts';
import type { JsonValue } from './plain-json.ts';
import { toPlainJson } from './plain-json.ts';

export type JobKind = 'import' | 'verify' | 'report' | 'package';
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** What a person needs to judge a long task: how far, how fast, how long still. */
export interface JobProgress {
  phase: string;
  /** 0..1 when the total is known. */
  fraction?: number;
  done?: number;
  total?: number;
  /** What done/total count, e.g. "bytes" or "records". */
  unit?: string;
  /** Items per second (of `rateUnit`), since the start. */
  rate?: number;
  rateUnit?: string;
  etaSeconds?: number;
  /** The file or stream being worked on. */
  detail?: string;
}

export interface JobSnapshot {
  id: string;
  kind: JobKind;
  title: string;
  /** Slug of the case the job works on. */
  case?: string;
  state: JobState;
  startedAt: string;
  finishedAt?: string;
  progress?: JobProgress;
  result?: JsonValue;
  error?: Omit<ErrorPayload, 'ok'>;
  /** Grows with every change; pass it back as afterVersion to wait for the next one. */
  version: number;
}

export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

interface Job {
  snapshot: JobSnapshot;
  controller: AbortController;
  waiters: Set<() => void>;
  done: Promise<void>;
}

/** The longest a `jobs.get` call holds the request open; the UI simply asks again. */
export const MAX_WAIT_MS = 15_000;
/** Finished jobs remembered for late readers. */
const KEEP_FINISHED = 50;

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();

  /** Starts `run` in the background and returns at once. A thrown AuditWsError becomes the job's error. */
  start(
    init: { kind: JobKind; title: string; case?: string },
    run: (ctx: JobContext) => Promise<unknown>,
  ): JobSnapshot {
    const controller = new AbortController();
    const snapshot: JobSnapshot = {
      id: randomUUID(),
      kind: init.kind,
      title: init.title,
      state: 'running',
      startedAt: new Date().toISOString(),
      version: 1,
    };
    if (init.case !== undefined) snapshot.case = init.case;
    const job: Job = { snapshot, controller, waiters: new Set(), done: Promise.resolve() };
    this.jobs.set(snapshot.id, job);
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (p) => {
        if (job.snapshot.state !== 'running') return;
        this.update(job, { progress: p });
      },
    };
    job.done = (async () => {
      // The work starts after start() has returned: callers always see the job at version 1 first.
      await Promise.resolve();
      try {
        if (controller.signal.aborted) throw new AuditWsError('CANCELLED', 'cancelled before it started');
        const result = await run(ctx);
        if (controller.signal.aborted) this.finish(job, 'cancelled', { result: toPlainJson(result) });
        else this.finish(job, 'done', { result: toPlainJson(result) });
      } catch (err) {
        const payload = toErrorPayload(err);
        const cancelled = controller.signal.aborted || payload.code === 'CANCELLED';
        this.finish(job, cancelled ? 'cancelled' : 'failed', {
          error: { code: payload.code, message: payload.message, details: payload.details },
        });
      }
    })();
    this.forgetOld();
    return this.copy(job);
  }

  get(id: string): JobSnapshot {
    return this.copy(this.find(id));
  }

  /** Answers when the job's version passes `afterVersion`, or after `waitMs`, whichever comes first. */
  async wait(id: string, afterVersion: number, waitMs: number): Promise<JobSnapshot> {
    const job = this.find(id);
    if (job.snapshot.version > afterVersion || waitMs <= 0) return this.copy(job);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(waitMs, MAX_WAIT_MS));
      function done() {
        clearTimeout(timer);
        job.waiters.delete(done);
        resolve();
      }
      job.waiters.add(done);
    });
    return this.copy(job);
  }

  /** Asks the job to stop; it ends as `cancelled` once the work notices (imports roll back first). */
  cancel(id: string): JobSnapshot {
    const job = this.find(id);
    if (job.snapshot.state === 'running' && !job.controller.signal.aborted) {
      job.controller.abort();
      this.update(job, { progress: { ...(job.snapshot.progress ?? { phase: 'running' }), phase: 'cancelling' } });
    }
    return this.copy(job);
  }

  list(filter: { case?: string } = {}): JobSnapshot[] {
    return [...this.jobs.values()]
      .filter((j) => filter.case === undefined || j.snapshot.case === filter.case)
      .map((j) => this.copy(j))
      .reverse();
  }

  running(caseSlug?: string): JobSnapshot[] {
    return this.list({ case: caseSlug }).filter((j) => j.state === 'running');
  }

  /** Resolves when the job has ended (for tests and for shutting down). */
  async settled(id: string): Promise<JobSnapshot> {
    const job = this.find(id);
    await job.done;
    return this.copy(job);
  }

  /** Cancels every running job and waits for them to end. */
  async cancelAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.snapshot.state === 'running');
    for (const j of running) j.controller.abort();
    await Promise.all(running.map((j) => j.done));
  }

  private find(id: string): Job {
    const job = this.jobs.get(id);
    if (!job)
      throw new AuditWsError('NOT_FOUND', `no job "${id}": it finished long ago or the workstation was restarted`);
    return job;
  }

  private update(job: Job, change: Partial<JobSnapshot>): void {
    job.snapshot = { ...job.snapshot, ...change, version: job.snapshot.version + 1 };
    for (const wake of [...job.waiters]) wake();
  }

  private finish(job: Job, state: JobState, change: Partial<JobSnapshot>): void {
    this.update(job, { ...change, state, finishedAt: new Date().toISOString() });
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => j.snapshot.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.snapshot.id);
  }

  private copy(job: Job): JobSnapshot {
    return structuredClone(job.snapshot);
  }
}
