import { formatRoute, parseRoute, type Route } from '../route.ts';
import type { SliceCreator } from './types.ts';

export interface RouteSlice {
  route: Route;
  /** Goes to a route (a new history entry unless `replace`). */
  navigate(route: Route, options?: { replace?: boolean }): void;
  /** Reads the route from the address bar (on start and on hashchange). */
  syncRoute(): void;
}

function currentHash(): string {
  return typeof window !== 'undefined' && window.location ? window.location.hash : '';
}

export const createRouteSlice: SliceCreator<RouteSlice> = (set) => ({
  route: parseRoute(currentHash()),
  navigate(route, options = {}) {
    const hash = formatRoute(route);
    if (typeof window !== 'undefined' && window.location && window.history) {
      if (options.replace) window.history.replaceState(null, '', hash);
      else if (window.location.hash !== hash) window.history.pushState(null, '', hash);
    }
    set({ route });
  },
  syncRoute() {
    set({ route: parseRoute(currentHash()) });
  },
});
