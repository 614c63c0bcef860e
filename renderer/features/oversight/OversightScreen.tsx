import { useState } from 'react';
import { invoke } from '../../api.ts';
import { LineChart } from '../../components/charts.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
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
        <div className="tiles">
          <button
            type="button"
            className="tile"
            onClick={() => drill({ humanReviewRequired: 'true', humanReviewed: 'false' })}
          >
            <span className="tile-label">Review coverage</span>
            <span className="tile-value">{formatPercent(o.reviewCoverage, 1)}</span>
            <span className="tile-note">
              of the {formatCount(o.reviewRequired)} decisions that required a human review, the share that got one
            </span>
          </button>
          <button type="button" className="tile" onClick={() => drill({ humanOverride: 'true' })}>
            <span className="tile-label">Override rate</span>
            <span className="tile-value">{formatPercent(o.overrideRate, 1)}</span>
            <span className="tile-note">
              {formatCount(o.overrides)} overrides of {formatCount(o.reviewed)} reviewed decisions
            </span>
          </button>
          <div className="tile">
            <span className="tile-label">Median review time</span>
            <span className="tile-value">{formatDuration(o.medianReviewSeconds ?? undefined)}</span>
            <span className="tile-note">
              {formatCount(o.shortReviews)} of {formatCount(o.reviews)} reviews under {shortSeconds || '10'} s
            </span>
          </div>
          <div className="tile">
            <span className="tile-label">Escalations</span>
            <span className="tile-value">{formatCount(o.escalations)}</span>
            <span className="tile-note">{formatCount(result.escalationLoops.total)} escalation loops</span>
          </div>
        </div>
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
          <div className="table-wrap">
            <table data-testid="oversight-reviewers">
              <thead>
                <tr>
                  <th scope="col">Reviewer</th>
                  <th scope="col" className="num">
                    Reviews
                  </th>
                  <th scope="col" className="num">
                    Approved
                  </th>
                  <th scope="col" className="num">
                    Rejected
                  </th>
                  <th scope="col" className="num">
                    Modified
                  </th>
                  <th scope="col" className="num">
                    Override rate
                  </th>
                  <th scope="col" className="num">
                    Median time
                  </th>
                  <th scope="col" className="num">
                    Short reviews
                  </th>
                  <th scope="col" className="num">
                    Escalated from / to
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.byReviewer.map((r) => (
                  <tr
                    key={r.reviewerId ?? '-'}
                    className={r.reviews > 0 && r.shortReviews / r.reviews > 0.5 ? 'flag' : undefined}
                  >
                    <th scope="row">
                      {r.reviewerId ? (
                        <button
                          type="button"
                          className="link-button"
                          onClick={() => drill({ reviewerId: r.reviewerId as string })}
                        >
                          {r.reviewerId}
                        </button>
                      ) : (
                        '(none)'
                      )}
                    </th>
                    <td className="num">{formatCount(r.reviews)}</td>
                    <td className="num">{formatCount(r.approvals)}</td>
                    <td className="num">{formatCount(r.rejections)}</td>
                    <td className="num">{formatCount(r.modifications)}</td>
                    <td className="num">{formatPercent(r.overrideRate, 1)}</td>
                    <td className="num">{formatDuration(r.medianReviewSeconds ?? undefined)}</td>
                    <td className="num">{formatCount(r.shortReviews)}</td>
                    <td className="num">
                      {formatCount(r.escalatedFrom)} / {formatCount(r.escalatedTo)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {result && (
        <section className="card">
          <h3>Per model version</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="num">
                    Decisions
                  </th>
                  <th scope="col" className="num">
                    Review required
                  </th>
                  <th scope="col" className="num">
                    Coverage
                  </th>
                  <th scope="col" className="num">
                    Override rate
                  </th>
                  <th scope="col" className="num">
                    Median review time
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.byModelVersion.map((m) => (
                  <tr key={`${m.modelId}-${m.modelVersion}`}>
                    <th scope="row">
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => drill({ modelId: m.modelId ?? '', modelVersion: m.modelVersion ?? '' })}
                      >
                        {m.modelId}
                      </button>
                    </th>
                    <td>{m.modelVersion}</td>
                    <td className="num">{formatCount(m.decisions)}</td>
                    <td className="num">{formatCount(m.reviewRequired)}</td>
                    <td className="num">{formatPercent(m.reviewCoverage, 1)}</td>
                    <td className="num">{formatPercent(m.overrideRate, 1)}</td>
                    <td className="num">{formatDuration(m.medianReviewSeconds ?? undefined)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {result && result.escalationLoops.total > 0 && (
        <section className="card">
          <h3>Escalation loops ({formatCount(result.escalationLoops.total)})</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col" className="num">
                    Escalations
                  </th>
                  <th scope="col">Passed between</th>
                  <th scope="col">Repeated reviewer</th>
                </tr>
              </thead>
              <tbody>
                {result.escalationLoops.tasks.map((t) => (
                  <tr key={t.taskId}>
                    <th scope="row">
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => navigate(caseRoute(slug, 'timeline', { task: t.taskId }))}
                      >
                        {t.taskId}
                      </button>
                    </th>
                    <td className="num">{formatCount(t.escalations)}</td>
                    <td>{t.chain.map((c) => c ?? '?').join(' → ')}</td>
                    <td>{t.repeatedReviewer ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
