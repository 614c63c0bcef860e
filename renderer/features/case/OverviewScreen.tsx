import { DataTable } from '../../components/DataTable.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { StatGrid, StatTile } from '../../components/StatGrid.tsx';
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
      <StatGrid>
        <StatTile
          href={formatRoute(caseRoute(slug, 'explorer'))}
          label="Records"
          value={formatCount(total)}
          valueTestId="total-records"
          note={
            overview.kinds
              .filter((k) => k.records > 0)
              .map((k) => `${formatCount(k.records)} ${k.kind}`)
              .join(' · ') || 'nothing imported yet'
          }
        />
        <StatTile
          href={formatRoute(caseRoute(slug, 'verify'))}
          label="Verification"
          value={v ? <Verdict value={v.verdict} /> : <span className="muted">not run</span>}
          valueTestId="overview-verdict"
          note={
            v
              ? `${formatTime(v.finishedAt ?? v.startedAt)} · ${formatCount(v.fails)} failures, ${formatCount(v.warns)} warnings`
              : 'Run it before relying on the records'
          }
        />
        <StatTile
          label="Period"
          value={overview.period ? `${formatDay(overview.period.from)} – ${formatDay(overview.period.to)}` : '–'}
          valueClass="small"
          note="decision timestamps, UTC"
        />
        <StatTile
          href={formatRoute(caseRoute(slug, 'annotations'))}
          label="Annotations"
          value={formatCount(overview.annotations)}
          note={`${formatCount(overview.savedViews)} saved views`}
        />
      </StatGrid>

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
          <DataTable
            rows={overview.streams}
            rowKey={(s) => `${s.kind}-${s.stream}`}
            rowAttributes={(s) => ({ 'data-stream': s.stream })}
            columns={[
              { header: 'Stream', rowHeader: true, cell: (s) => s.stream },
              { header: 'Kind', cell: (s) => s.kind },
              { header: 'Records', num: true, cell: (s) => formatCount(s.records) },
              {
                header: 'Seq range',
                num: true,
                cell: (s) => (s.firstSeq !== undefined ? `${s.firstSeq}–${s.lastSeq}` : 'unchained'),
              },
            ]}
          />
        </section>
      )}

      <section className="card">
        <h3>Imports</h3>
        {overview.imports.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <DataTable
            rows={overview.imports}
            rowKey={(i) => i.id}
            columns={[
              { header: '#', cell: (i) => i.id },
              { header: 'Started', cell: (i) => formatTime(i.startedAt) },
              {
                header: 'Status',
                cell: (i) => (
                  <>
                    {i.status}
                    {i.error && <div className="error small">{i.error}</div>}
                  </>
                ),
              },
              {
                header: 'Inputs',
                cell: (i) =>
                  i.inputs.map((p) => (
                    <code key={p} className="block">
                      {p}
                    </code>
                  )),
              },
              { header: 'Records', num: true, cell: (i) => formatCount(i.records) },
              { header: 'Rejected', num: true, cell: (i) => formatCount(i.rejected) },
              { header: 'By', cell: (i) => i.actor },
            ]}
          />
        )}
      </section>
    </div>
  );
}
