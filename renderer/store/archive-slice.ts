import type { InspectReport } from '../../src/contract/types.ts';
import type { Jsonified } from '../../src/contract/plain-json.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { ShownError, SliceCreator } from './types.ts';

export type Report = Jsonified<InspectReport>;

export interface ArchiveState {
  path?: string;
  status: 'idle' | 'loading' | 'ready' | 'failed';
  report?: Report;
  error?: ShownError;
}

export interface ArchiveSlice {
  archive: ArchiveState;
  /** Inspects the archive at `path` (absolute); a later call wins over an earlier one still running. */
  openArchive(path: string): Promise<void>;
}

export const createArchiveSlice: SliceCreator<ArchiveSlice> = (set, get) => ({
  archive: { status: 'idle' },
  async openArchive(path) {
    set({ archive: { path, status: 'loading' } });
    try {
      const report = await invoke('archive.inspect', { path });
      if (get().archive.path === path) set({ archive: { path, status: 'ready', report } });
    } catch (err) {
      if (get().archive.path === path) set({ archive: { path, status: 'failed', error: shownError(err) } });
    }
  },
});
