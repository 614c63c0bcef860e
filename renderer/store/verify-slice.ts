import type {
  JobSnapshot,
  VerificationView,
  VerifyOptionsView,
  VerifyRequestOptions,
} from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { errorFromPayload, shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

export interface VerificationState {
  slug?: string;
  status: LoadStatus;
  view?: VerificationView | null;
  options?: VerifyOptionsView;
  job?: JobSnapshot;
  error?: ShownError;
}

export interface VerifySlice {
  verification: VerificationState;
  loadVerification(slug: string): Promise<void>;
  startVerification(slug: string, options: VerifyRequestOptions): Promise<void>;
}

export const createVerifySlice: SliceCreator<VerifySlice> = (set, get) => {
  const onEnd = (slug: string, job: JobSnapshot): void => {
    const state = get();
    if (state.verification.slug !== slug) return;
    set({
      verification: {
        ...state.verification,
        job: undefined,
        error: job.state === 'failed' ? errorFromPayload(job.error) : undefined,
      },
    });
    if (job.state === 'done') {
      void state.loadVerification(slug);
      void state.loadCase(slug);
    }
  };
  return {
    verification: { status: 'idle' },
    async loadVerification(slug) {
      const keep = get().verification.slug === slug ? get().verification : {};
      set({ verification: { ...keep, slug, status: 'loading', error: undefined } });
      try {
        const [view, options] = await Promise.all([
          invoke('verify.latest', { case: slug }),
          invoke('verify.options', { case: slug }),
        ]);
        if (get().verification.slug !== slug) return;
        set({ verification: { ...get().verification, slug, status: 'ready', view, options } });
        const running = get().verification.job;
        if (!running) {
          const jobs = await invoke('jobs.list', { case: slug });
          const job = jobs.find((j) => j.kind === 'verify' && j.state === 'running');
          if (job) get().trackJob(job, (end) => onEnd(slug, end));
          if (job) set({ verification: { ...get().verification, job } });
        }
      } catch (err) {
        if (get().verification.slug === slug) {
          set({ verification: { ...get().verification, slug, status: 'failed', error: shownError(err) } });
        }
      }
    },
    async startVerification(slug, options) {
      try {
        const job = await invoke('verify.start', { case: slug, ...options });
        set({ verification: { ...get().verification, slug, job, error: undefined } });
        get().trackJob(job, (end) => onEnd(slug, end));
      } catch (err) {
        set({ verification: { ...get().verification, error: shownError(err) } });
      }
    },
  };
};
