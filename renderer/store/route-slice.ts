import { showCaseRoute } from '../api.ts';
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

/**
 * The desktop app has one window per case (main/windows.ts): before this window shows a case it has not shown yet,
 * the shell decides whether it shows it here or in the case's own window. The window a case opened in is its window
 * from then on, so the question is asked once per case.
 */
let shownHere: string | undefined;
function askShell(route: Route): boolean {
  return (
    route.page === 'case' && route.slug !== shownHere && typeof window !== 'undefined' && !!window.auditWs?.openCase
  );
}
if (typeof window !== 'undefined') {
  const first = parseRoute(currentHash());
  // A window the shell opened on a case shows that case from the start.
  if (first.page === 'case') shownHere = first.slug;
}

export const createRouteSlice: SliceCreator<RouteSlice> = (set, get) => {
  const go = (route: Route, options: { replace?: boolean }) => {
    const hash = formatRoute(route);
    if (typeof window !== 'undefined' && window.location && window.history) {
      if (options.replace) window.history.replaceState(null, '', hash);
      else if (window.location.hash !== hash) window.history.pushState(null, '', hash);
    }
    set({ route });
  };
  /** Shows `route` here if the shell says so; otherwise runs `elsewhere` (the case opened in its own window). */
  const viaShell = (route: Route & { page: 'case' }, here: () => void, elsewhere: () => void) => {
    showCaseRoute(formatRoute(route)).then(
      (where) => {
        if (where === 'here') {
          shownHere = route.slug;
          here();
        } else elsewhere();
      },
      // The shell could not decide (e.g. it is shutting down): show it here, the screens then say what is wrong.
      () => here(),
    );
  };
  return {
    route: parseRoute(currentHash()),
    navigate(route, options = {}) {
      if (route.page === 'case' && askShell(route))
        viaShell(
          route,
          () => go(route, options),
          () => undefined,
        );
      else go(route, options);
    },
    syncRoute() {
      const next = parseRoute(currentHash());
      if (next.page === 'case' && askShell(next)) {
        // A link to another case: the address already changed; put it back unless the case shows here.
        const before = formatRoute(get().route);
        viaShell(
          next,
          () => set({ route: next }),
          () => window.history.replaceState(null, '', before),
        );
        return;
      }
      set({ route: next });
    },
  };
};
