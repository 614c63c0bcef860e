import type { JobSnapshot } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { ShownError, SliceCreator } from './types.ts';

/** How long one `jobs.get` may wait for news on the server before it answers anyway. */
const LONG_POLL_MS = 10_000;
const RETRY_MS = 2_000;
const MAX_FAILURES = 5;

export interface JobsSlice {
  jobs: Record<string, JobSnapshot>;
  jobErrors: Record<string, ShownError>;
  /** Follows a job until it ends (long polls: the same on IPC and HTTP), then calls onEnd once. */
  trackJob(job: JobSnapshot, onEnd?: (job: JobSnapshot) => void): void;
  cancelJob(id: string): Promise<void>;
  /** Forgets a finished job (the task bar's dismiss). */
  dismissJob(id: string): void;
}

const followed = new Set<string>();
const endListeners = new Map<string, ((job: JobSnapshot) => void)[]>();

export const createJobsSlice: SliceCreator<JobsSlice> = (set, get) => ({
  jobs: {},
  jobErrors: {},
  trackJob(job, onEnd) {
    set({ jobs: { ...get().jobs, [job.id]: job } });
    if (onEnd) {
      if (job.state !== 'running') {
        onEnd(job);
        return;
      }
      endListeners.set(job.id, [...(endListeners.get(job.id) ?? []), onEnd]);
    }
    if (job.state !== 'running' || followed.has(job.id)) return;
    followed.add(job.id);
    void (async () => {
      let snapshot = job;
      let failures = 0;
      while (snapshot.state === 'running') {
        try {
          snapshot = await invoke('jobs.get', {
            id: snapshot.id,
            afterVersion: snapshot.version,
            waitMs: LONG_POLL_MS,
          });
          failures = 0;
          const errors = { ...get().jobErrors };
          delete errors[snapshot.id];
          set({ jobs: { ...get().jobs, [snapshot.id]: snapshot }, jobErrors: errors });
        } catch (err) {
          failures++;
          set({ jobErrors: { ...get().jobErrors, [snapshot.id]: shownError(err) } });
          if (failures >= MAX_FAILURES) break;
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
      followed.delete(snapshot.id);
      const listeners = endListeners.get(snapshot.id) ?? [];
      endListeners.delete(snapshot.id);
      for (const listener of listeners) listener(snapshot);
    })();
  },
  async cancelJob(id) {
    try {
      const snapshot = await invoke('jobs.cancel', { id });
      set({ jobs: { ...get().jobs, [id]: snapshot } });
    } catch (err) {
      set({ jobErrors: { ...get().jobErrors, [id]: shownError(err) } });
    }
  },
  dismissJob(id) {
    const jobs = { ...get().jobs };
    delete jobs[id];
    set({ jobs });
  },
});
