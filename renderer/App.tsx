import { useEffect } from 'react';
import { onAppEvent } from './api.ts';
import { AppHeader } from './features/header/AppHeader.tsx';
import { CaseLayout } from './features/case/CaseLayout.tsx';
import { CasesScreen } from './features/cases/CasesScreen.tsx';
import { offerOpenedPath } from './features/package/opened-path.ts';
import { HomeScreen } from './features/home/HomeScreen.tsx';
import { RecordPanel } from './features/record/RecordPanel.tsx';
import { caseRoute } from './route.ts';
import { useStore } from './store/index.ts';
import { applyTheme } from './theme.ts';

export function App() {
  const theme = useStore((s) => s.theme);
  const start = useStore((s) => s.start);
  const syncRoute = useStore((s) => s.syncRoute);
  const route = useStore((s) => s.route);
  const startupError = useStore((s) => s.startupError);

  useEffect(() => {
    applyTheme(theme);
  }, [theme]);
  // A new screen starts at its top, as a new page would.
  const place = route.page === 'case' ? `${route.slug}/${route.screen}` : route.page;
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [place]);
  useEffect(() => {
    void start();
  }, [start]);
  useEffect(() => {
    window.addEventListener('hashchange', syncRoute);
    window.addEventListener('popstate', syncRoute);
    return () => {
      window.removeEventListener('hashchange', syncRoute);
      window.removeEventListener('popstate', syncRoute);
    };
  }, [syncRoute]);
  // File > Open archive… in the desktop app: within a case the path goes to its import wizard; elsewhere the
  // archive is inspected without importing it.
  useEffect(
    () =>
      onAppEvent((event) => {
        if (event.type !== 'open-archive') return;
        // The "Open evidence package" form, while it is open, takes the chosen file.
        if (offerOpenedPath(event.path)) return;
        const state = useStore.getState();
        const here = state.route;
        if (here.page === 'case') {
          state.resetImport(here.slug);
          state.addImportPath(event.path);
          if (here.screen !== 'import') state.navigate(caseRoute(here.slug, 'import'));
        } else {
          state.navigate({ page: 'inspect' });
          void state.openArchive(event.path);
        }
      }),
    [],
  );

  return (
    <>
      <a className="skip-link" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <AppHeader />
      {startupError && (
        <p role="alert" className="error banner">
          The workstation core did not answer: {startupError.message} ({startupError.code}). {startupError.hint}
        </p>
      )}
      {route.page === 'cases' && <CasesScreen />}
      {route.page === 'inspect' && <HomeScreen />}
      {route.page === 'case' && <CaseLayout slug={route.slug} screen={route.screen} query={route.query} />}
      <RecordPanel />
    </>
  );
}

/** The skip link moves focus without touching the hash (which holds the route). */
function skipToContent(event: { preventDefault(): void }) {
  event.preventDefault();
  document.getElementById('content')?.focus();
}
