import type { AppInfo, DemoDescription } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { ShownError, SliceCreator } from './types.ts';

export type ThemeChoice = 'system' | 'light' | 'dark';
const THEME_KEY = 'audit-ws.theme';

export interface AppSlice {
  info?: AppInfo;
  demo?: DemoDescription;
  startupError?: ShownError;
  theme: ThemeChoice;
  setTheme(theme: ThemeChoice): void;
  /** Learns the mode and the demo archive, then opens the demo (if it exists) as the first archive. */
  start(): Promise<void>;
}

function savedTheme(): ThemeChoice {
  try {
    const saved = window.localStorage.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}

export const createAppSlice: SliceCreator<AppSlice> = (set, get) => ({
  theme: savedTheme(),
  setTheme(theme) {
    try {
      window.localStorage.setItem(THEME_KEY, theme);
    } catch {
      // Storage may be unavailable (private window): the choice then lasts for this session only.
    }
    set({ theme });
  },
  async start() {
    try {
      const [info, demo] = await Promise.all([invoke('app.info', {}), invoke('demo.describe', {})]);
      set({ info, demo, startupError: undefined });
      if (demo.exists && get().archive.path === undefined) await get().openArchive(demo.path);
    } catch (err) {
      set({ startupError: shownError(err) });
    }
  },
});
