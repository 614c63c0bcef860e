import { useStore } from '../../store/index.ts';
import { NEXT_THEME, THEME_LABEL } from '../../theme.ts';

export function AppHeader() {
  const info = useStore((s) => s.info);
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  const mode = info?.mode === 'electron' ? 'Desktop' : info?.mode === 'browser' ? 'Browser mode' : '…';
  return (
    <header className="app-header">
      <div className="app-title">
        <h1>AI Audit Workstation</h1>
        <span className="badge" aria-label={`Running as: ${mode}`} data-testid="mode">
          {mode}
        </span>
        {info && <span className="muted">v{info.toolVersion}</span>}
      </div>
      <button
        type="button"
        className="button"
        onClick={() => setTheme(NEXT_THEME[theme])}
        title="Switch between system, light and dark theme"
      >
        {THEME_LABEL[theme]}
      </button>
    </header>
  );
}
