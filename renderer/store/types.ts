import type { StateCreator } from 'zustand';
import type { AppSlice } from './app-slice.ts';
import type { ArchiveSlice } from './archive-slice.ts';

export type Store = AppSlice & ArchiveSlice;

/** A slice sees the whole store (to read other slices) but defines only its own part. */
export type SliceCreator<Slice> = StateCreator<Store, [], [], Slice>;

/** What the UI shows for a request that failed: the core's code and sentence, never a stack trace. */
export interface ShownError {
  code: string;
  message: string;
}
