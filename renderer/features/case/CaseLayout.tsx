import { useEffect } from 'react';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { caseRoute, formatRoute, type CaseScreen } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { AnnotationsScreen } from '../annotations/AnnotationsScreen.tsx';
import { AnomaliesScreen } from '../anomalies/AnomaliesScreen.tsx';
import { ExplorerScreen } from '../explorer/ExplorerScreen.tsx';
import { FairnessScreen } from '../fairness/FairnessScreen.tsx';
import { ImportWizard } from '../import/ImportWizard.tsx';
import { OversightScreen } from '../oversight/OversightScreen.tsx';
import { ReportScreen } from '../report/ReportScreen.tsx';
import { TimelineScreen } from '../timeline/TimelineScreen.tsx';
import { VerifyScreen } from '../verify/VerifyScreen.tsx';
import { OverviewScreen } from './OverviewScreen.tsx';
import { ReadOnlyBadge, ReadOnlyNotice } from '../package/ReadOnlyNotice.tsx';
import type { CaseListItem } from '../../../src/contract/types.ts';

const NAV: { screen: CaseScreen; label: string; hint: string }[] = [
  { screen: 'overview', label: 'Overview', hint: 'What the case holds' },
  { screen: 'import', label: 'Import', hint: 'Add archives' },
  { screen: 'verify', label: 'Verification', hint: 'Is the evidence intact?' },
  { screen: 'explorer', label: 'Explorer', hint: 'Search and filter records' },
  { screen: 'timeline', label: 'Decision timeline', hint: 'One decision, end to end' },
  { screen: 'anomalies', label: 'Anomalies', hint: 'Unusual decisions' },
  { screen: 'oversight', label: 'Human oversight', hint: 'Reviews and overrides' },
  { screen: 'fairness', label: 'Fairness', hint: 'Outcomes by group' },
  { screen: 'annotations', label: 'Annotations', hint: 'Your notes' },
  { screen: 'report', label: 'Report & export', hint: 'For the regulator' },
];

/** Screens that read the case's evidence, and so wait while an import holds it. */
const NEEDS_EVIDENCE: readonly CaseScreen[] = [
  'verify',
  'explorer',
  'timeline',
  'anomalies',
  'oversight',
  'fairness',
  'annotations',
  'report',
];

export function CaseLayout({
  slug,
  screen,
  query,
}: {
  slug: string;
  screen: CaseScreen;
  query: Record<string, string>;
}) {
  const current = useStore((s) => s.current);
  const loadCase = useStore((s) => s.loadCase);
  const loadAnnotations = useStore((s) => s.loadAnnotations);
  const jobs = useStore((s) => s.jobs);

  useEffect(() => {
    void loadCase(slug);
  }, [slug, loadCase]);

  const overview = current.slug === slug ? current.overview : undefined;
  const importing = Object.values(jobs).find((j) => j.case === slug && j.kind === 'import' && j.state === 'running');
  const busy = importing !== undefined || overview?.case.busy !== undefined;

  useEffect(() => {
    if (!busy) void loadAnnotations(slug);
  }, [slug, busy, loadAnnotations]);

  const blocked = busy && NEEDS_EVIDENCE.includes(screen);

  return (
    <div className="case-layout">
      <nav className="case-nav" aria-label="Case screens">
        <div className="case-nav-title" title={overview?.case.description}>
          {overview?.case.name ?? slug}
          {overview?.case.readOnly && (
            <div>
              <ReadOnlyBadge item={overview.case} short />
            </div>
          )}
        </div>
        <ul>
          {NAV.map((item) => (
            <li key={item.screen}>
              <a
                href={formatRoute(caseRoute(slug, item.screen))}
                aria-current={item.screen === screen ? 'page' : undefined}
                title={item.hint}
              >
                {item.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="case-nav-foot">
          <a href={formatRoute({ page: 'cases' })}>All cases</a>
        </div>
      </nav>
      <main id="content" className="case-main" tabIndex={-1}>
        {current.slug === slug && current.status === 'failed' && (
          <ErrorNote error={current.error} prefix="Could not open the case" />
        )}
        {blocked ? (
          <section className="card">
            <h2>The case is importing</h2>
            <p>
              This screen reads the case’s evidence; it is back as soon as the import has finished (or is cancelled).
            </p>
            {importing && <JobProgress job={importing} />}
          </section>
        ) : (
          <CaseScreenView
            slug={slug}
            screen={screen}
            query={query}
            readOnly={overview?.case.readOnly ? overview.case : undefined}
          />
        )}
      </main>
    </div>
  );
}

function CaseScreenView({
  slug,
  screen,
  query,
  readOnly,
}: {
  slug: string;
  screen: CaseScreen;
  query: Record<string, string>;
  /** Set for a read-only case (opened from an evidence package): its write screens say why they are closed. */
  readOnly?: CaseListItem;
}) {
  switch (screen) {
    case 'overview':
      return <OverviewScreen slug={slug} />;
    case 'import':
      return readOnly ? (
        <ReadOnlyNotice slug={slug} item={readOnly} action="Importing archives" />
      ) : (
        <ImportWizard slug={slug} />
      );
    case 'verify':
      return <VerifyScreen slug={slug} />;
    case 'explorer':
      return <ExplorerScreen slug={slug} query={query} />;
    case 'timeline':
      return <TimelineScreen slug={slug} query={query} />;
    case 'anomalies':
      return <AnomaliesScreen slug={slug} />;
    case 'oversight':
      return <OversightScreen slug={slug} />;
    case 'fairness':
      return <FairnessScreen slug={slug} />;
    case 'annotations':
      return <AnnotationsScreen slug={slug} />;
    case 'report':
      return <ReportScreen slug={slug} />;
  }
}
