import { useEffect } from 'react';
import { formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import {
  DataFilesTable,
  KindsTable,
  OverviewTable,
  PresenceTable,
  ProblemsList,
  StreamsTable,
} from './InspectTables.tsx';
import { OpenArchiveForm } from './OpenArchiveForm.tsx';

/** Inspect an archive without importing it: a read-only look at what it holds, before any case exists. */
export function HomeScreen() {
  const demo = useStore((s) => s.demo);
  const archive = useStore((s) => s.archive);
  const openArchive = useStore((s) => s.openArchive);
  useEffect(() => {
    if (demo?.exists && archive.status === 'idle') void openArchive(demo.path);
  }, [demo, archive.status, openArchive]);
  const isDemo = demo?.exists === true && archive.path === demo.path;
  return (
    <main id="content" className="home" tabIndex={-1}>
      <p>
        <a href={formatRoute({ page: 'cases' })}>← Cases</a>
      </p>
      <section aria-labelledby="open-heading" className="card">
        <h2 id="open-heading">Open an archive</h2>
        <OpenArchiveForm />
        {demo && !demo.exists && (
          <p className="notice">
            The demo archive has not been generated yet (expected at <code>{demo.path}</code>): run{' '}
            <code>npm start</code> once to create it.
          </p>
        )}
      </section>

      <section aria-labelledby="report-heading" aria-busy={archive.status === 'loading'} className="card">
        <h2 id="report-heading">{isDemo ? 'Demo archive' : 'Archive'}: inspection</h2>
        {archive.status === 'idle' && <p className="muted">No archive open yet.</p>}
        {archive.status === 'loading' && (
          <p role="status">
            Inspecting <code>{archive.path}</code>…
          </p>
        )}
        {archive.status === 'failed' && archive.error && (
          <p role="alert" className="error">
            Could not inspect <code>{archive.path}</code>: {archive.error.message}{' '}
            <span className="muted">({archive.error.code})</span>
          </p>
        )}
        {archive.status === 'ready' && archive.report && (
          <div className="report" data-testid="inspect-report">
            <p className="muted">
              A read-only look at what the archive holds, before any verification: nothing has been checked yet.
            </p>
            <div className="grid-2">
              <OverviewTable report={archive.report} />
              <KindsTable report={archive.report} />
            </div>
            <StreamsTable report={archive.report} />
            <PresenceTable report={archive.report} />
            <ProblemsList report={archive.report} />
            <DataFilesTable report={archive.report} />
          </div>
        )}
      </section>
    </main>
  );
}
