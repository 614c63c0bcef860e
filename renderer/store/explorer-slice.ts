import type { SliceCreator } from './types.ts';

// Filled in with the explorer (search over the case's records); see features/explorer.
export interface ExplorerSlice {
  explorerReady: boolean;
}

export const createExplorerSlice: SliceCreator<ExplorerSlice> = () => ({ explorerReady: false });
