import { useEffect } from 'react';
import { onAppEvent } from './api.ts';
import { AppHeader } from './features/header/AppHeader.tsx';
import { HomeScreen } from './features/home/HomeScreen.tsx';
import { useStore } from './store/index.ts';
import { applyTheme } from './theme.ts';

export function App() {
  const theme = useStore((s) => s.theme);
  const start = useStore((s) => s.start);
  const openArchive = useStore((s) => s.openArchive);
  const startupError = useStore((s) => s.startupError);

  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    void start();
  }, [start]);
  useEffect(
    () =>
      onAppEvent((event) => {
        if (event.type === 'open-archive') void openArchive(event.path);
      }),
    [openArchive],
  );

  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <AppHeader />
      {startupError && (
        <p role="alert" className="error banner">
          The workstation core did not answer: {startupError.message} ({startupError.code})
        </p>
      )}
      <HomeScreen />
    </>
  );
}
