import { useEffect, type FormEvent } from 'react';
import { transport } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatBytes, formatCount, formatDuration, plural } from '../../format.ts';
import { caseRoute } from '../../route.ts';
import { useStore, type Report } from '../../store/index.ts';
import { pathsOf } from '../../store/import-slice.ts';
import { KindsTable, PresenceTable, ProblemsList, StreamsTable } from '../home/InspectTables.tsx';

const STEPS = [
  ['choose', '1. Choose'],
  ['review', '2. Review'],
  ['importing', '3. Import'],
  ['done', '4. Result'],
] as const;

export function ImportWizard({ slug }: { slug: string }) {
  const w = useStore((s) => s.importWizard);
  const resetImport = useStore((s) => s.resetImport);
  const setImportPaths = useStore((s) => s.setImportPaths);
  const addImportPath = useStore((s) => s.addImportPath);
  const previewImport = useStore((s) => s.previewImport);
  const demo = useStore((s) => s.demo);

  useEffect(() => {
    resetImport(slug);
  }, [slug, resetImport]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void previewImport();
  };
  const paths = pathsOf(w.pathsText);

  return (
    <div className="screen" data-testid="import-wizard">
      <header className="screen-head">
        <h2>Import archives</h2>
        <ol className="steps" aria-label="Steps">
          {STEPS.map(([step, label]) => (
            <li key={step} aria-current={w.step === step ? 'step' : undefined}>
              {label}
            </li>
          ))}
        </ol>
      </header>

      {(w.step === 'choose' || w.step === 'review') && (
        <section className="card" aria-labelledby="choose-heading">
          <h3 id="choose-heading">What to import</h3>
          <form onSubmit={submit} className="stack">
            <label htmlFor="import-paths">
              Absolute paths, one per line: an archive folder, a .zip, .tar or .tar.gz, or a single .jsonl, .jsonl.gz or
              .parquet file. Several archives of one system (e.g. a warm-tier and a hot-tier export) are verified as one
              body of evidence.
            </label>
            <textarea
              id="import-paths"
              rows={3}
              value={w.pathsText}
              onChange={(e) => setImportPaths(e.target.value)}
              placeholder="/data/exports/acme-credit-2026-03.zip"
              spellCheck={false}
            />
            <div className="row">
              <button
                type="submit"
                className="button primary"
                disabled={paths.length === 0 || w.previewStatus === 'loading'}
              >
                {w.previewStatus === 'loading' ? 'Looking inside…' : 'Preview'}
              </button>
              {demo?.exists && (
                <button type="button" className="button" onClick={() => addImportPath(demo.path)}>
                  Add the demo archive
                </button>
              )}
              <span className="muted">
                {transport() === 'electron'
                  ? 'File › Open archive… adds the path you choose here.'
                  : 'Browser mode cannot read paths from a file picker: type or paste them.'}
              </span>
            </div>
          </form>
          <ErrorNote error={w.error} />
        </section>
      )}

      {w.step === 'review' && <Review />}

      {w.job && (w.step === 'importing' || (w.step === 'done' && w.job.state !== 'done')) && (
        <section className="card" aria-labelledby="progress-heading">
          <h3 id="progress-heading">{w.step === 'importing' ? 'Importing' : 'Import'}</h3>
          <JobProgress job={w.job} />
        </section>
      )}

      {w.step === 'done' && <Result slug={slug} />}
    </div>
  );
}

function Review() {
  const w = useStore((s) => s.importWizard);
  const setImportOption = useStore((s) => s.setImportOption);
  const startImport = useStore((s) => s.startImport);
  const readable = w.preview.filter((p) => !p.error);
  const total = readable.reduce((a, p) => a + ((p.report as unknown as Report).records.total ?? 0), 0);
  return (
    <section className="card" aria-labelledby="review-heading" data-testid="import-preview">
      <h3 id="review-heading">What was found</h3>
      {w.preview.map((item) => (
        <div key={item.path} className="preview-item">
          <h4>
            <code>{item.path}</code>
          </h4>
          {item.error ? (
            <ErrorNote error={{ ...item.error, hint: 'This path will be left out of the import.' }} />
          ) : (
            <PreviewTables report={item.report as unknown as Report} />
          )}
        </div>
      ))}
      <fieldset className="options">
        <legend>How to treat bad records</legend>
        <label>
          <input type="radio" name="mode" checked={!w.strict} onChange={() => setImportOption('strict', false)} />{' '}
          Lenient: import the good records and list every rejected line
        </label>
        <label>
          <input type="radio" name="mode" checked={w.strict} onChange={() => setImportOption('strict', true)} /> Strict:
          import nothing if any line is rejected
        </label>
        <label>
          <input type="checkbox" checked={w.force} onChange={(e) => setImportOption('force', e.target.checked)} /> Load
          files again even if this case already holds the same bytes
        </label>
      </fieldset>
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={readable.length === 0}
          onClick={() => void startImport()}
        >
          Import {formatCount(total)} records
        </button>
        <span className="muted">The case stays as it is if the import fails or is cancelled.</span>
      </div>
      <ErrorNote error={w.error} />
    </section>
  );
}

function PreviewTables({ report }: { report: Report }) {
  return (
    <div className="report">
      <p className="muted">
        {report.container}, {formatCount(report.records.total)} records in {formatCount(report.dataFiles.length)} data
        files ({formatBytes(report.files.bytes)}).
        {report.descriptor.system?.name ? ` System: ${report.descriptor.system.name}.` : ''}
      </p>
      <div className="grid-2">
        <StreamsTable report={report} />
        <KindsTable report={report} />
      </div>
      <PresenceTable report={report} />
      <ProblemsList report={report} />
    </div>
  );
}

function Result({ slug }: { slug: string }) {
  const w = useStore((s) => s.importWizard);
  const navigate = useStore((s) => s.navigate);
  const loadRejects = useStore((s) => s.loadRejects);
  const setImportPaths = useStore((s) => s.setImportPaths);
  const r = w.result;
  const rejects = w.rejects;
  return (
    <>
      {r && (
        <section className="card" aria-labelledby="result-heading" data-testid="import-result">
          <h3 id="result-heading">
            {r.status === 'done' ? 'Imported' : r.status === 'cancelled' ? 'Cancelled' : 'Not imported'}:{' '}
            {plural(r.counts.records, 'record')} in {formatDuration(r.durationMs / 1000)}
          </h3>
          <DataTable
            rows={Object.entries(r.counts.byStream)}
            rowKey={([stream]) => stream}
            rowAttributes={([stream]) => ({ 'data-stream': stream })}
            columns={[
              { header: 'Stream', rowHeader: true, cell: ([stream]) => stream },
              { header: 'Kind', cell: ([, st]) => st.kind },
              { header: 'Records', num: true, cell: ([, st]) => formatCount(st.records) },
            ]}
          />
          <p>
            {formatCount(r.counts.dataFiles)} data files
            {r.counts.skippedFiles > 0
              ? `, ${formatCount(r.counts.skippedFiles)} skipped (already in the case)`
              : ''}; <strong>{formatCount(r.counts.rejected)}</strong> rejected lines, {formatCount(r.counts.noted)}{' '}
            noted problems.
          </p>
          {r.warnings.length > 0 && (
            <ul>
              {r.warnings.map((wn) => (
                <li key={wn} className="notice">
                  {wn}
                </li>
              ))}
            </ul>
          )}
          <div className="row">
            <button type="button" className="button primary" onClick={() => navigate(caseRoute(slug, 'verify'))}>
              Verify the case now
            </button>
            <button type="button" className="button" onClick={() => setImportPaths('')}>
              Import more
            </button>
          </div>
        </section>
      )}
      {!r && (
        <section className="card">
          <ErrorNote error={w.error} />
          <button type="button" className="button" onClick={() => setImportPaths(w.pathsText)}>
            Back to the paths
          </button>
        </section>
      )}
      {rejects && rejects.total > 0 && (
        <section className="card" aria-labelledby="rejects-heading">
          <h3 id="rejects-heading">Rejected and noted lines ({formatCount(rejects.total)})</h3>
          <DataTable
            testId="rejects-table"
            rows={rejects.rows}
            rowKey={(row) => row.id}
            columns={[
              {
                header: 'Where',
                cell: (row) => (
                  <code>
                    {row.file}
                    {row.line !== undefined ? `:${row.line}` : row.row !== undefined ? ` row ${row.row}` : ''}
                  </code>
                ),
              },
              { header: 'What', cell: (row) => row.disposition },
              { header: 'Reason', cell: (row) => row.reason },
              { header: 'Excerpt', cell: (row) => <code className="excerpt">{row.excerpt ?? ''}</code> },
            ]}
          />
          <Pager page={rejects} pageSize={100} onPage={(offset) => void loadRejects(offset)} />
        </section>
      )}
    </>
  );
}
