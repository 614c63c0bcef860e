import type { JobSnapshot } from '../../src/contract/types.ts';
import { formatCount, formatDuration, formatPercent } from '../format.ts';
import { useStore } from '../store/index.ts';
import { errorFromPayload } from '../store/errors.ts';
import { ErrorNote } from './ErrorNote.tsx';

/** A long task as a person follows it: what it does, how far, how fast, how long still, and a way to stop it. */
export function JobProgress({ job, compact = false }: { job: JobSnapshot; compact?: boolean }) {
  const cancelJob = useStore((s) => s.cancelJob);
  const transportError = useStore((s) => s.jobErrors[job.id]);
  const p = job.progress;
  const fraction = p?.fraction;
  const running = job.state === 'running';
  const cancelling = p?.phase === 'cancelling';
  const label = `${job.title}: ${running ? (cancelling ? 'cancelling' : (p?.phase ?? 'starting')) : job.state}`;
  return (
    <div
      className={`job job-${job.state}${compact ? ' compact' : ''}`}
      data-testid={`job-${job.kind}`}
      data-state={job.state}
    >
      <div className="job-head">
        <strong>{job.title}</strong>
        <span className={`job-state state-${job.state}`}>
          {running ? (cancelling ? 'cancelling…' : 'running') : job.state}
        </span>
        {running && (
          <button
            type="button"
            className="button small"
            onClick={() => void cancelJob(job.id)}
            disabled={cancelling}
            title="Stop this task; an import is rolled back and the case stays as it was"
          >
            Cancel
          </button>
        )}
      </div>
      {running && (
        <>
          <progress
            className="progress"
            max={1}
            value={fraction ?? undefined}
            aria-label={label}
            aria-valuetext={fraction !== undefined ? formatPercent(fraction) : 'working'}
          />
          <div className="job-facts muted">
            <span>{p?.phase ?? 'starting'}</span>
            {fraction !== undefined && <span>{formatPercent(fraction)}</span>}
            {p?.done !== undefined && (
              <span>
                {formatCount(p.done)}
                {p.total !== undefined ? ` of ${formatCount(p.total)}` : ''} {p.unit}
              </span>
            )}
            {p?.rate !== undefined && p.rate > 0 && (
              <span>
                {formatCount(Math.round(p.rate))} {p.rateUnit}
              </span>
            )}
            {p?.etaSeconds !== undefined && <span>about {formatDuration(p.etaSeconds)} left</span>}
          </div>
          {!compact && p?.detail && <div className="job-detail muted">{p.detail}</div>}
        </>
      )}
      {job.state === 'failed' && <ErrorNote error={errorFromPayload(job.error)} />}
      {job.state === 'cancelled' && <p className="muted">Cancelled: nothing was changed.</p>}
      {transportError && running && <ErrorNote error={transportError} prefix="Lost track of this task for now" />}
    </div>
  );
}
