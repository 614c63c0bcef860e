import type { RecordView } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

/** How a screen names the record it wants shown (a finding's place, a table row, a timeline event). */
export interface RecordLocator {
  target?: string;
  stream?: string;
  seq?: number;
  file?: string;
  line?: number;
  row?: number;
  kind?: 'decision' | 'lifecycle' | 'review' | 'outcome';
}

export interface RecordPanelState {
  open: boolean;
  slug?: string;
  locator?: RecordLocator;
  /** A sentence saying why this record is shown (e.g. the finding that points at it). */
  context?: string;
  status: LoadStatus;
  matches: RecordView[];
  error?: ShownError;
}

export interface RecordSlice {
  recordPanel: RecordPanelState;
  openRecord(slug: string, locator: RecordLocator, context?: string): Promise<void>;
  closeRecord(): void;
}

export function describeLocator(l: RecordLocator): string {
  if (l.target) return l.target;
  if (l.stream !== undefined && l.seq !== undefined) return `stream ${l.stream}, seq ${l.seq}`;
  if (l.file) return `${l.file}${l.line !== undefined ? `:${l.line}` : l.row !== undefined ? ` row ${l.row}` : ''}`;
  return 'record';
}

export const createRecordSlice: SliceCreator<RecordSlice> = (set, get) => ({
  recordPanel: { open: false, status: 'idle', matches: [] },
  async openRecord(slug, locator, context) {
    set({ recordPanel: { open: true, slug, locator, context, status: 'loading', matches: [] } });
    try {
      const { matches } = await invoke('records.get', { case: slug, ...locator });
      if (get().recordPanel.locator !== locator) return;
      set({ recordPanel: { open: true, slug, locator, context, status: 'ready', matches } });
    } catch (err) {
      if (get().recordPanel.locator !== locator) return;
      set({
        recordPanel: { open: true, slug, locator, context, status: 'failed', matches: [], error: shownError(err) },
      });
    }
  },
  closeRecord() {
    set({ recordPanel: { open: false, status: 'idle', matches: [] } });
  },
});
