import { JobProgress } from '../../components/JobProgress.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatDay, formatTime } from '../../format.ts';
import { caseRoute, formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';

export function OverviewScreen({ slug }: { slug: string }) {
  const current = useStore((s) => s.current);
  const jobs = useStore((s) => s.jobs);
  const overview = current.slug === slug ? current.overview : undefined;
  const running = Object.values(jobs).filter((j) => j.case === slug && j.state === 'running');
  if (!overview) return current.status === 'loading' ? <p role="status">Opening the case…</p> : null;
  const c = overview.case;
  const total = overview.kinds.reduce((a, k) => a + k.records, 0);
  const v = overview.lastVerification;
  return (
    <div className="screen" data-testid="overview">
      <header className="screen-head">
        <h2>{c.name}</h2>
        {c.description && <p className="muted">{c.description}</p>}
      </header>
      {running.map((job) => (
        <section className="card" key={job.id}>
          <JobProgress job={job} />
        </section>
      ))}
      {overview.notices.length > 0 && (
        <ul className="notices">
          {overview.notices.map((n) => (
            <li key={n} className="notice">
              {n}
            </li>
          ))}
        </ul>
      )}
      <div className="tiles">
        <a className="tile" href={formatRoute(caseRoute(slug, 'explorer'))}>
          <span className="tile-label">Records</span>
          <span className="tile-value" data-testid="total-records">
            {formatCount(total)}
          </span>
          <span className="tile-note">
            {overview.kinds
              .filter((k) => k.records > 0)
              .map((k) => `${formatCount(k.records)} ${k.kind}`)
              .join(' · ') || 'nothing imported yet'}
          </span>
        </a>
        <a className="tile" href={formatRoute(caseRoute(slug, 'verify'))}>
          <span className="tile-label">Verification</span>
          <span className="tile-value" data-testid="overview-verdict">
            {v ? <Verdict value={v.verdict} /> : <span className="muted">not run</span>}
          </span>
          <span className="tile-note">
            {v
              ? `${formatTime(v.finishedAt ?? v.startedAt)} · ${formatCount(v.fails)} failures, ${formatCount(v.warns)} warnings`
              : 'Run it before relying on the records'}
          </span>
        </a>
        <div className="tile">
          <span className="tile-label">Period</span>
          <span className="tile-value small">
            {overview.period ? `${formatDay(overview.period.from)} – ${formatDay(overview.period.to)}` : '–'}
          </span>
          <span className="tile-note">decision timestamps, UTC</span>
        </div>
        <a className="tile" href={formatRoute(caseRoute(slug, 'annotations'))}>
          <span className="tile-label">Annotations</span>
          <span className="tile-value">{formatCount(overview.annotations)}</span>
          <span className="tile-note">{formatCount(overview.savedViews)} saved views</span>
        </a>
      </div>

      {total === 0 && running.length === 0 && (
        <section className="card">
          <h3>Start here</h3>
          <p>
            This case holds no records yet. <a href={formatRoute(caseRoute(slug, 'import'))}>Import an archive</a> (a
            folder, .zip, .tar or .tar.gz, or a single .jsonl / .parquet file).
          </p>
        </section>
      )}

      {overview.streams.length > 0 && (
        <section className="card">
          <h3>Streams</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Stream</th>
                  <th scope="col">Kind</th>
                  <th scope="col" className="num">
                    Records
                  </th>
                  <th scope="col" className="num">
                    Seq range
                  </th>
                </tr>
              </thead>
              <tbody>
                {overview.streams.map((s) => (
                  <tr key={`${s.kind}-${s.stream}`} data-stream={s.stream}>
                    <th scope="row">{s.stream}</th>
                    <td>{s.kind}</td>
                    <td className="num">{formatCount(s.records)}</td>
                    <td className="num">{s.firstSeq !== undefined ? `${s.firstSeq}–${s.lastSeq}` : 'unchained'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section className="card">
        <h3>Imports</h3>
        {overview.imports.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Started</th>
                  <th scope="col">Status</th>
                  <th scope="col">Inputs</th>
                  <th scope="col" className="num">
                    Records
                  </th>
                  <th scope="col" className="num">
                    Rejected
                  </th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {overview.imports.map((i) => (
                  <tr key={i.id}>
                    <td>{i.id}</td>
                    <td>{formatTime(i.startedAt)}</td>
                    <td>
                      {i.status}
                      {i.error && <div className="error small">{i.error}</div>}
                    </td>
                    <td>
                      {i.inputs.map((p) => (
                        <code key={p} className="block">
                          {p}
                        </code>
                      ))}
                    </td>
                    <td className="num">{formatCount(i.records)}</td>
                    <td className="num">{formatCount(i.rejected)}</td>
                    <td>{i.actor}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
