import { create } from 'zustand';
import { createAppSlice } from './app-slice.ts';
import { createArchiveSlice } from './archive-slice.ts';
import type { Store } from './types.ts';

/** The one UI store, assembled from slices registered here explicitly. */
export const useStore = create<Store>()((...args) => ({
  ...createAppSlice(...args),
  ...createArchiveSlice(...args),
}));

export type { Store } from './types.ts';
export type { ThemeChoice } from './app-slice.ts';
export type { Report } from './archive-slice.ts';
