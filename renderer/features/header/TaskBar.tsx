import { useState } from 'react';
import { JobProgress } from '../../components/JobProgress.tsx';
import { formatPercent } from '../../format.ts';
import { useStore } from '../../store/index.ts';

/** Long tasks of this window, always in reach: a count in the header that opens their progress and cancel buttons. */
export function TaskBar() {
  const jobs = useStore((s) => s.jobs);
  const dismissJob = useStore((s) => s.dismissJob);
  const [open, setOpen] = useState(false);
  const list = Object.values(jobs).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  if (list.length === 0) return null;
  const running = list.filter((j) => j.state === 'running');
  const first = running[0];
  const label =
    running.length === 0
      ? `Tasks: ${list.length} finished`
      : `${running.length} task${running.length > 1 ? 's' : ''} running${
          first.progress?.fraction !== undefined ? ` (${formatPercent(first.progress.fraction)})` : ''
        }`;
  return (
    <div className="taskbar">
      <button
        type="button"
        className={`button${running.length ? ' busy' : ''}`}
        aria-expanded={open}
        aria-controls="task-list"
        onClick={() => setOpen(!open)}
        data-testid="taskbar"
      >
        {label}
      </button>
      {open && (
        <div id="task-list" className="task-list" role="region" aria-label="Tasks">
          {list.map((job) => (
            <div key={job.id} className="task-item">
              <JobProgress job={job} compact />
              {job.state !== 'running' && (
                <button type="button" className="link-button" onClick={() => dismissJob(job.id)}>
                  Dismiss
                </button>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
