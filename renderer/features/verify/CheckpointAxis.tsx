import { useMemo, useState } from 'react';
import type { CheckpointPoint } from '../../../src/contract/types.ts';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatDay, formatTime } from '../../format.ts';

/**
 * Checkpoints on a time axis, one row per stream, each a mark coloured by what verification said of it
 * (and of its signature and time-stamp). A mark stands at the time the checkpoint says it was created
 * (`createdAt`), and its tooltip and accessible name say that time and, for a time-stamped checkpoint, the
 * genTime its token states (whether the token verified is the mark's colour and findings). Marks are
 * buttons: choose one to read its findings.
 */
export function CheckpointAxis({ points }: { points: CheckpointPoint[] }) {
  const [chosen, setChosen] = useState<CheckpointPoint | undefined>();
  const streams = useMemo(() => [...new Set(points.map((p) => p.stream))].sort(), [points]);
  const times = points.map((p) => Date.parse(p.createdAt ?? '')).filter(Number.isFinite);
  if (points.length === 0) {
    return (
      <section className="card">
        <h3>Checkpoints</h3>
        <p className="muted">
          The imported archives hold no checkpoints: no record is anchored to an independent store.
        </p>
      </section>
    );
  }
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const width = 900;
  const left = 110;
  const right = 20;
  const rowH = 30;
  const height = streams.length * rowH + 40;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const ticks = Array.from({ length: 5 }, (_, i) => t0 + ((t1 - t0) * i) / 4);
  const counts = { pass: 0, warn: 0, fail: 0, unverifiable: 0 } as Record<string, number>;
  for (const p of points) counts[p.status]++;
  return (
    <section className="card" aria-labelledby="checkpoints-heading" data-testid="checkpoint-axis">
      <h3 id="checkpoints-heading">Checkpoints over time ({formatCount(points.length)})</h3>
      <p className="muted small">
        {formatCount(counts.pass)} clean, {formatCount(counts.warn)} with warnings, {formatCount(counts.fail)} failed,{' '}
        {formatCount(counts.unverifiable)} unverifiable. Signed: {formatCount(points.filter((p) => p.signed).length)};
        time-stamped: {formatCount(points.filter((p) => p.timestamped).length)}.
      </p>
      <svg
        className="chart axis-chart"
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label="Checkpoints by stream and time"
      >
        {ticks.map((t, i) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={0} y2={height - 24} className="grid" />
            <text x={x(t)} y={height - 8} textAnchor={i === ticks.length - 1 ? 'end' : 'middle'} className="tick">
              {formatDay(new Date(t).toISOString())}
            </text>
          </g>
        ))}
        {streams.map((s, i) => (
          <g key={s}>
            <text x={left - 10} y={i * rowH + rowH / 2 + 4} textAnchor="end" className="label">
              {s}
            </text>
            <line x1={left} x2={width - right} y1={i * rowH + rowH / 2} y2={i * rowH + rowH / 2} className="axis" />
          </g>
        ))}
        {points.map((p) => {
          const t = Date.parse(p.createdAt ?? '');
          if (!Number.isFinite(t)) return null;
          const cy = streams.indexOf(p.stream) * rowH + rowH / 2;
          const label = `${p.stream} ${p.label}, created ${formatTime(p.createdAt)}: ${p.status}${p.signed ? ', signed' : ''}${p.timestamped ? `, time-stamped${p.genTime ? ` ${formatTime(p.genTime)}` : ''}` : ''}`;
          return (
            <g
              key={p.path}
              role="button"
              tabIndex={0}
              aria-label={label}
              className={`mark status-${p.status}${chosen?.path === p.path ? ' chosen' : ''}`}
              onClick={() => setChosen(p)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  setChosen(p);
                }
              }}
            >
              <title>{label}</title>
              {p.status === 'fail' ? (
                <rect x={x(t) - 6} y={cy - 6} width={12} height={12} />
              ) : (
                <circle cx={x(t)} cy={cy} r={p.status === 'pass' ? 5 : 6} />
              )}
            </g>
          );
        })}
      </svg>
      {chosen && (
        <div className="chosen-checkpoint" aria-live="polite">
          <h4>
            <code>{chosen.path}</code> <Verdict value={chosen.status} />
          </h4>
          <p className="small">
            Seq {chosen.firstSeq ?? '?'}–{chosen.lastSeq ?? '?'} ({formatCount(chosen.count)} records), created{' '}
            {formatTime(chosen.createdAt)}; {chosen.signed ? 'signed' : 'not signed'},{' '}
            {chosen.timestamped
              ? `time-stamped${chosen.genTime ? `, the token states genTime ${formatTime(chosen.genTime)}` : ''}`
              : 'no RFC 3161 time-stamp'}
            .
          </p>
          {chosen.findings.length > 0 ? (
            <ul className="small">
              {chosen.findings.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
          ) : (
            <p className="small">No findings: this checkpoint checked out.</p>
          )}
        </div>
      )}
    </section>
  );
}
