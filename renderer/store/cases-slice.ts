import type { CaseListItem, CaseOverview, DemoCaseState } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

export interface CasesState {
  status: LoadStatus;
  list: CaseListItem[];
  workspace?: string;
  error?: ShownError;
}

export interface CurrentCase {
  slug?: string;
  status: LoadStatus;
  overview?: CaseOverview;
  error?: ShownError;
}

export interface CasesSlice {
  cases: CasesState;
  current: CurrentCase;
  demoCase?: DemoCaseState;
  loadCases(): Promise<void>;
  /** Creates a case and returns its slug (undefined when refused: the error is in cases.error). */
  createCase(name: string, description?: string): Promise<string | undefined>;
  deleteCase(slug: string): Promise<boolean>;
  /** Loads a case's overview; running tasks of the case are followed and the overview reloads when they end. */
  loadCase(slug: string): Promise<void>;
  /** Creates and fills the demo case on first run (an import job the overview shows). */
  ensureDemoCase(): Promise<DemoCaseState | undefined>;
}

export const createCasesSlice: SliceCreator<CasesSlice> = (set, get) => ({
  cases: { status: 'idle', list: [] },
  current: { status: 'idle' },
  async loadCases() {
    set({ cases: { ...get().cases, status: 'loading' } });
    try {
      const { workspace, cases } = await invoke('cases.list', {});
      set({ cases: { status: 'ready', list: cases, workspace } });
    } catch (err) {
      set({ cases: { ...get().cases, status: 'failed', error: shownError(err) } });
    }
  },
  async createCase(name, description) {
    try {
      const created = await invoke('cases.create', description ? { name, description } : { name });
      await get().loadCases();
      return created.slug;
    } catch (err) {
      set({ cases: { ...get().cases, error: shownError(err) } });
      return undefined;
    }
  },
  async deleteCase(slug) {
    try {
      await invoke('cases.delete', { case: slug });
      if (get().current.slug === slug) set({ current: { status: 'idle' } });
      await get().loadCases();
      return true;
    } catch (err) {
      set({ cases: { ...get().cases, error: shownError(err) } });
      return false;
    }
  },
  async loadCase(slug) {
    const same = get().current.slug === slug;
    set({ current: { ...(same ? get().current : {}), slug, status: 'loading' } });
    try {
      const overview = await invoke('cases.get', { case: slug });
      if (get().current.slug !== slug) return;
      set({ current: { slug, status: 'ready', overview } });
      for (const job of overview.jobs) {
        if (job.state === 'running') get().trackJob(job, () => void get().loadCase(slug));
      }
    } catch (err) {
      if (get().current.slug === slug) set({ current: { slug, status: 'failed', error: shownError(err) } });
    }
  },
  async ensureDemoCase() {
    try {
      const state = await invoke('demo.ensureCase', {});
      set({ demoCase: state });
      if (state.job) {
        const slug = state.case;
        get().trackJob(state.job, () => {
          void get().loadCases();
          if (slug && get().current.slug === slug) void get().loadCase(slug);
        });
      }
      return state;
    } catch (err) {
      set({ cases: { ...get().cases, error: shownError(err) } });
      return undefined;
    }
  },
});
