import { useState } from 'react';
import { invoke } from '../../api.ts';
import { LineChart } from '../../components/charts.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { LinkButton } from '../../components/LinkButton.tsx';
import { StatGrid, StatTile } from '../../components/StatGrid.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatDay, formatDuration, formatPercent } from '../../format.ts';
import { caseRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { useRequest } from '../../components/useRequest.ts';

type Bucket = 'day' | 'week' | 'month';

/** How human oversight worked: coverage, overrides and time spent, per reviewer, per model version and over time. */
export function OversightScreen({ slug }: { slug: string }) {
  const navigate = useStore((s) => s.navigate);
  const [bucket, setBucket] = useState<Bucket>('day');
  const [shortSeconds, setShortSeconds] = useState('10');
  const seconds = Number(shortSeconds);
  const params = {
    case: slug,
    bucket,
    ...(Number.isFinite(seconds) && shortSeconds !== '' ? { shortReviewSeconds: seconds } : {}),
  };
  const { data: result, error, loading } = useRequest(JSON.stringify(params), () => invoke('query.oversight', params));

  const o = result?.overall;
  const drill = (query: Record<string, string>) => navigate(caseRoute(slug, 'explorer', query));
  return (
    <div className="screen" data-testid="oversight-screen">
      <header className="screen-head">
        <h2>Human oversight</h2>
        <p className="muted">
          Were the decisions that needed a human reviewed, how often did reviewers change the outcome, and how much time
          did they spend? Rows link to the decisions in the explorer.
        </p>
      </header>
      <div className="row">
        <label>
          Over time by{' '}
          <select value={bucket} onChange={(e) => setBucket(e.target.value as Bucket)}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <label>
          Short review: under{' '}
          <input
            size={4}
            value={shortSeconds}
            onChange={(e) => setShortSeconds(e.target.value)}
            aria-label="Short review threshold in seconds"
          />{' '}
          seconds
        </label>
        {loading && <span className="muted">updating…</span>}
        {result && <Verdict value={result.integrity.status} title="integrity of the records these figures rest on" />}
      </div>
      <ErrorNote error={error} />
      {o && (
        <StatGrid>
          <StatTile
            label="Review coverage"
            value={formatPercent(o.reviewCoverage, 1)}
            note={`of the ${formatCount(o.reviewRequired)} decisions that required a human review, the share that got one`}
            onClick={() => drill({ humanReviewRequired: 'true', humanReviewed: 'false' })}
          />
          <StatTile
            label="Override rate"
            value={formatPercent(o.overrideRate, 1)}
            note={`${formatCount(o.overrides)} ${o.overrides === 1 ? 'override' : 'overrides'} of ${formatCount(o.reviewed)} reviewed ${o.reviewed === 1 ? 'decision' : 'decisions'}`}
            onClick={() => drill({ humanOverride: 'true' })}
          />
          <StatTile
            label="Median review time"
            value={formatDuration(o.medianReviewSeconds ?? undefined)}
            note={`${formatCount(o.shortReviews)} of ${formatCount(o.reviews)} reviews under ${shortSeconds || '10'} s`}
          />
          <StatTile
            label="Escalations"
            value={formatCount(o.escalations)}
            note={`${formatCount(result.escalationLoops.total)} escalation loops`}
          />
        </StatGrid>
      )}
      {result && result.overTime.length > 0 && (
        <section className="card">
          <h3>Over time</h3>
          <LineChart
            title="Review coverage and override rate over time"
            format={(v) => formatPercent(v)}
            series={[
              {
                name: 'review coverage',
                points: result.overTime.map((t) => ({ x: formatDay(t.bucket), y: t.reviewCoverage })),
              },
              {
                name: 'override rate',
                points: result.overTime.map((t) => ({ x: formatDay(t.bucket), y: t.overrideRate })),
              },
              {
                name: 'share of short reviews',
                points: result.overTime.map((t) => ({
                  x: formatDay(t.bucket),
                  y: t.reviews > 0 ? t.shortReviews / t.reviews : null,
                })),
              },
            ]}
          />
        </section>
      )}
      {result && (
        <section className="card">
          <h3>Per reviewer</h3>
          <DataTable
            testId="oversight-reviewers"
            rows={result.byReviewer}
            rowKey={(r) => r.reviewerId ?? '-'}
            rowAttributes={(r) => ({
              className: r.reviews > 0 && r.shortReviews / r.reviews > 0.5 ? 'flag' : undefined,
            })}
            columns={[
              {
                header: 'Reviewer',
                rowHeader: true,
                cell: (r) =>
                  r.reviewerId ? (
                    <LinkButton onClick={() => drill({ reviewerId: r.reviewerId as string })}>
                      {r.reviewerId}
                    </LinkButton>
                  ) : (
                    '(none)'
                  ),
              },
              { header: 'Reviews', num: true, cell: (r) => formatCount(r.reviews) },
              { header: 'Approved', num: true, cell: (r) => formatCount(r.approvals) },
              { header: 'Rejected', num: true, cell: (r) => formatCount(r.rejections) },
              { header: 'Modified', num: true, cell: (r) => formatCount(r.modifications) },
              { header: 'Override rate', num: true, cell: (r) => formatPercent(r.overrideRate, 1) },
              { header: 'Median time', num: true, cell: (r) => formatDuration(r.medianReviewSeconds ?? undefined) },
              { header: 'Short reviews', num: true, cell: (r) => formatCount(r.shortReviews) },
              {
                header: 'Escalated from / to',
                num: true,
                cell: (r) => `${formatCount(r.escalatedFrom)} / ${formatCount(r.escalatedTo)}`,
              },
            ]}
          />
        </section>
      )}
      {result && (
        <section className="card">
          <h3>Per model version</h3>
          <DataTable
            rows={result.byModelVersion}
            rowKey={(m) => `${m.modelId}-${m.modelVersion}`}
            columns={[
              {
                header: 'Model',
                rowHeader: true,
                cell: (m) => (
                  <LinkButton onClick={() => drill({ modelId: m.modelId ?? '', modelVersion: m.modelVersion ?? '' })}>
                    {m.modelId}
                  </LinkButton>
                ),
              },
              { header: 'Version', cell: (m) => m.modelVersion },
              { header: 'Decisions', num: true, cell: (m) => formatCount(m.decisions) },
              { header: 'Review required', num: true, cell: (m) => formatCount(m.reviewRequired) },
              { header: 'Coverage', num: true, cell: (m) => formatPercent(m.reviewCoverage, 1) },
              { header: 'Override rate', num: true, cell: (m) => formatPercent(m.overrideRate, 1) },
              {
                header: 'Median review time',
                num: true,
                cell: (m) => formatDuration(m.medianReviewSeconds ?? undefined),
              },
            ]}
          />
        </section>
      )}
      {result && result.escalationLoops.total > 0 && (
        <section className="card">
          <h3>Escalation loops ({formatCount(result.escalationLoops.total)})</h3>
          <DataTable
            rows={result.escalationLoops.tasks}
            rowKey={(t) => t.taskId}
            columns={[
              {
                header: 'Task',
                rowHeader: true,
                cell: (t) => (
                  <LinkButton onClick={() => navigate(caseRoute(slug, 'timeline', { task: t.taskId }))}>
                    {t.taskId}
                  </LinkButton>
                ),
              },
              { header: 'Escalations', num: true, cell: (t) => formatCount(t.escalations) },
              { header: 'Passed between', cell: (t) => t.chain.map((c) => c ?? '?').join(' → ') },
              { header: 'Repeated reviewer', cell: (t) => (t.repeatedReviewer ? 'yes' : 'no') },
            ]}
          />
        </section>
      )}
    </div>
  );
}
