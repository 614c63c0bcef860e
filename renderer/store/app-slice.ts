import type { AppInfo, DemoDescription } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { caseRoute } from '../route.ts';
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
  /**
   * Learns the mode and the demo archive, makes sure the demo case exists (created and imported on the first
   * run), and opens it when the address names no place yet.
   */
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
      const demoCase = demo.exists ? await get().ensureDemoCase() : undefined;
      const noPlaceYet = typeof window === 'undefined' || !window.location || window.location.hash === '';
      if (noPlaceYet && demoCase?.case) get().navigate(caseRoute(demoCase.case), { replace: true });
      void get().loadCases();
    } catch (err) {
      set({ startupError: shownError(err) });
    }
  },
});
