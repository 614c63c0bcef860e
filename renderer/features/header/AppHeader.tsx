import { formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { NEXT_THEME, THEME_LABEL } from '../../theme.ts';
import { TaskBar } from './TaskBar.tsx';

export function AppHeader() {
  const info = useStore((s) => s.info);
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  const route = useStore((s) => s.route);
  const current = useStore((s) => s.current);
  const mode = info?.mode === 'electron' ? 'Desktop' : info?.mode === 'browser' ? 'Browser mode' : '…';
  const caseName = route.page === 'case' ? (current.overview?.case.name ?? route.slug) : undefined;
  return (
    <header className="app-header">
      <div className="app-title">
        <h1>
          <a href={formatRoute({ page: 'cases' })} className="home-link">
            AI Audit Workstation
          </a>
        </h1>
        <span className="badge" aria-label={`Running as: ${mode}`} data-testid="mode">
          {mode}
        </span>
        {info && <span className="muted">v{info.toolVersion}</span>}
        {caseName && (
          <nav aria-label="Breadcrumb" className="crumbs">
            <a href={formatRoute({ page: 'cases' })}>Cases</a>
            <span aria-hidden="true"> › </span>
            <span aria-current="page">{caseName}</span>
          </nav>
        )}
      </div>
      <div className="header-actions">
        <TaskBar />
        <button
          type="button"
          className="button"
          onClick={() => setTheme(NEXT_THEME[theme])}
          title="Switch between system, light and dark theme"
        >
          {THEME_LABEL[theme]}
        </button>
      </div>
    </header>
  );
}
