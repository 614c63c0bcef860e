import type { StateCreator } from 'zustand';
import type { AnnotationsSlice } from './annotations-slice.ts';
import type { AppSlice } from './app-slice.ts';
import type { ArchiveSlice } from './archive-slice.ts';
import type { CasesSlice } from './cases-slice.ts';
import type { ExplorerSlice } from './explorer-slice.ts';
import type { ImportSlice } from './import-slice.ts';
import type { JobsSlice } from './jobs-slice.ts';
import type { RecordSlice } from './record-slice.ts';
import type { RouteSlice } from './route-slice.ts';
import type { VerifySlice } from './verify-slice.ts';

export type Store = AppSlice &
  ArchiveSlice &
  RouteSlice &
  CasesSlice &
  JobsSlice &
  AnnotationsSlice &
  VerifySlice &
  RecordSlice &
  ExplorerSlice &
  ImportSlice;

/** A slice sees the whole store (to read other slices) but defines only its own part. */
export type SliceCreator<Slice> = StateCreator<Store, [], [], Slice>;

/** What the UI shows for a request that failed: the core's code and sentence, never a stack trace, and what to do. */
export interface ShownError {
  code: string;
  message: string;
  hint?: string;
}

/** The life of one request's answer in a slice. */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed';
