import { create } from 'zustand';
import { createAnnotationsSlice } from './annotations-slice.ts';
import { createAppSlice } from './app-slice.ts';
import { createArchiveSlice } from './archive-slice.ts';
import { createCasesSlice } from './cases-slice.ts';
import { createExplorerSlice } from './explorer-slice.ts';
import { createImportSlice } from './import-slice.ts';
import { createJobsSlice } from './jobs-slice.ts';
import { createRecordSlice } from './record-slice.ts';
import { createRouteSlice } from './route-slice.ts';
import { createVerifySlice } from './verify-slice.ts';
import type { Store } from './types.ts';

/** Builds the UI store from slices registered here explicitly (tests build their own). */
export function createAppStore() {
  return create<Store>()((...args) => ({
    ...createAppSlice(...args),
    ...createArchiveSlice(...args),
    ...createRouteSlice(...args),
    ...createCasesSlice(...args),
    ...createJobsSlice(...args),
    ...createAnnotationsSlice(...args),
    ...createVerifySlice(...args),
    ...createRecordSlice(...args),
    ...createExplorerSlice(...args),
    ...createImportSlice(...args),
  }));
}

/** The one UI store. */
export const useStore = createAppStore();

export type { Store } from './types.ts';
export type { ThemeChoice } from './app-slice.ts';
export type { Report } from './archive-slice.ts';
