import { useEffect, useMemo, useState } from 'react';
import type { JobSnapshot, PackageVerifyReport, ReportFormat, ResultOf } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { formatBytes, formatCount } from '../../format.ts';
import { useStore } from '../../store/index.ts';
import { shownError } from '../../store/errors.ts';
import { ReadOnlyNotice } from '../package/ReadOnlyNotice.tsx';
import type { ShownError } from '../../store/types.ts';

type Options = ResultOf<'report.options'>;

const FORMAT_LABEL: Record<string, string> = {
  pdf: 'PDF (for people; printed by Chromium)',
  html: 'HTML (the same report, for a browser)',
  json: 'findings.json (the same facts, for machines)',
  csv: 'CSV tables (every table of the report)',
};

/** Starts a job and follows it; returns the job as it ends. */
function useJob() {
  const trackJob = useStore((s) => s.trackJob);
  const jobs = useStore((s) => s.jobs);
  const [id, setId] = useState<string | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  const job: JobSnapshot | undefined = id ? jobs[id] : undefined;
  const start = async (begin: () => Promise<JobSnapshot>) => {
    try {
      const j = await begin();
      setError(undefined);
      setId(j.id);
      trackJob(j);
    } catch (err) {
      setError(shownError(err));
    }
  };
  return { job, error, start };
}

function FilesWritten({ files, where }: { files: { path: string; bytes: number; sha256: string }[]; where: string }) {
  return (
    <div>
      <p>
        Written to <code>{where}</code>:
      </p>
      <DataTable
        testId="written-files"
        rows={files}
        rowKey={(f) => f.path}
        columns={[
          { header: 'File', cell: (f) => <code>{f.path}</code> },
          { header: 'Size', num: true, cell: (f) => formatBytes(f.bytes) },
          { header: 'SHA-256', cell: (f) => <code className="small">{f.sha256.slice(0, 16)}…</code> },
        ]}
      />
    </div>
  );
}

export function ReportScreen({ slug }: { slug: string }) {
  const [options, setOptions] = useState<Options | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  const current = useStore((s) => s.current);
  const readOnly = current.slug === slug && current.overview?.case.readOnly ? current.overview.case : undefined;
  useEffect(() => {
    invoke('report.options', { case: slug }).then(setOptions, (err: unknown) => setError(shownError(err)));
  }, [slug]);
  return (
    <div className="screen" data-testid="report-screen">
      <header className="screen-head">
        <h2>Report &amp; export</h2>
        <p className="muted">
          What leaves the workstation: a report a regulator can read, an evidence package anyone can re-verify without
          trusting this tool, and CSV exports of the case’s tables. Everything is written to this computer’s disk and
          recorded in the case’s custody log.
        </p>
      </header>
      <ErrorNote error={error} />
      {options && <ReportCard slug={slug} options={options} />}
      {options &&
        (readOnly ? (
          <ReadOnlyNotice slug={slug} item={readOnly} action="Cutting a new evidence package" />
        ) : (
          <PackageCard slug={slug} options={options} />
        ))}
      {options && <CsvCard slug={slug} options={options} />}
      <VerifyPackageCard />
    </div>
  );
}

function ReportCard({ slug, options }: { slug: string; options: Options }) {
  const [formats, setFormats] = useState<ReportFormat[]>(['pdf', 'html', 'json', 'csv']);
  const [outDir, setOutDir] = useState('');
  const [attribute, setAttribute] = useState('');
  const [positive, setPositive] = useState('');
  const { job, error, start } = useJob();
  const result =
    job?.state === 'done'
      ? (job.result as {
          outDir: string;
          files: { path: string; bytes: number; sha256: string }[];
          reportDataSha256: string;
        })
      : undefined;
  return (
    <section className="card" aria-labelledby="report-heading">
      <h3 id="report-heading">Report</h3>
      <p className="small muted">
        Cover, summary of findings, integrity attestation, record-keeping coverage (EU AI Act Art. 12, 19, 26(6)), human
        oversight, anomalies, fairness, selected timelines (starred decisions first), your annotations, method, and an
        appendix with the SHA-256 of every input file and the custody log.
      </p>
      <fieldset className="options">
        <legend>Formats</legend>
        {options.formats.map((f) => (
          <label key={f}>
            <input
              type="checkbox"
              checked={formats.includes(f)}
              onChange={(e) => setFormats(e.target.checked ? [...formats, f] : formats.filter((x) => x !== f))}
            />{' '}
            {FORMAT_LABEL[f] ?? f}
          </label>
        ))}
      </fieldset>
      <div className="form-grid">
        <label htmlFor="report-out">Folder (absolute path)</label>
        <input
          id="report-out"
          value={outDir}
          onChange={(e) => setOutDir(e.target.value)}
          placeholder={`${options.exportsDir}/report-<date>`}
        />
        <label htmlFor="report-fair-attr">Fairness: attribute (optional)</label>
        <input
          id="report-fair-attr"
          value={attribute}
          onChange={(e) => setAttribute(e.target.value)}
          placeholder="e.g. inputFeatures.group"
        />
        <label htmlFor="report-fair-pos">Fairness: favourable prediction</label>
        <input
          id="report-fair-pos"
          value={positive}
          onChange={(e) => setPositive(e.target.value)}
          placeholder="e.g. approve"
        />
      </div>
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={formats.length === 0 || job?.state === 'running'}
          onClick={() =>
            void start(() =>
              invoke('report.start', {
                case: slug,
                formats,
                ...(outDir.trim() ? { outDir: outDir.trim() } : {}),
                ...(attribute.trim() && positive.trim()
                  ? { fairness: [{ attribute: attribute.trim(), positivePrediction: positive.trim() }] }
                  : {}),
              }),
            )
          }
        >
          Write the report
        </button>
      </div>
      <ErrorNote error={error} />
      {job && <JobProgress job={job} />}
      {result && (
        <>
          <FilesWritten files={result.files} where={result.outDir} />
          <p className="small muted">
            SHA-256 of the report data (quoted in its appendix): <code>{result.reportDataSha256}</code>
          </p>
        </>
      )}
    </section>
  );
}

function PackageCard({ slug, options }: { slug: string; options: Options }) {
  const annotations = useStore((s) => s.annotations);
  const starred = useMemo(
    () =>
      [
        ...new Set(
          annotations.all
            .filter((a) => a.target.startsWith('decision:'))
            .map((a) => a.target.slice('decision:'.length)),
        ),
      ].sort(),
    [annotations.all],
  );
  const [ids, setIds] = useState('');
  const [out, setOut] = useState('');
  const [signingKey, setSigningKey] = useState('');
  const [related, setRelated] = useState(true);
  const [withReport, setWithReport] = useState(true);
  const { job, error, start } = useJob();
  const list = ids
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const result =
    job?.state === 'done'
      ? (job.result as { file: string; sha256: string; files: string[]; records: Record<string, { records: number }> })
      : undefined;
  return (
    <section className="card" aria-labelledby="package-heading">
      <h3 id="package-heading">Evidence package</h3>
      <p className="small muted">
        The chosen decisions exactly as the archive held them, with RFC 6962 inclusion proofs against their signed and
        time-stamped checkpoints, the report, your custody log and SHA256SUMS, in one .zip. It discloses no other
        record.
      </p>
      <div className="form-grid">
        <label htmlFor="package-ids">Decision ids</label>
        <div className="stack">
          <textarea
            id="package-ids"
            rows={3}
            value={ids}
            onChange={(e) => setIds(e.target.value)}
            placeholder="d-00000042, d-00000043 …"
          />
          {starred.length > 0 && (
            <button type="button" className="link-button small" onClick={() => setIds(starred.join('\n'))}>
              Use the {starred.length} annotated decision(s)
            </button>
          )}
        </div>
        <label htmlFor="package-out">File (absolute path, .zip)</label>
        <input
          id="package-out"
          value={out}
          onChange={(e) => setOut(e.target.value)}
          placeholder={`${options.exportsDir}/package-<date>.zip`}
        />
        <label htmlFor="package-key">Sign with (Ed25519 private key, optional)</label>
        <input
          id="package-key"
          value={signingKey}
          onChange={(e) => setSigningKey(e.target.value)}
          placeholder="/path/to/investigator-key.pem"
        />
        <div />
        <div className="stack">
          <label>
            <input type="checkbox" checked={related} onChange={(e) => setRelated(e.target.checked)} /> include their
            reviews and outcomes
          </label>
          <label>
            <input type="checkbox" checked={withReport} onChange={(e) => setWithReport(e.target.checked)} /> include the
            report (HTML, JSON, CSV)
          </label>
        </div>
      </div>
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={list.length === 0 || job?.state === 'running'}
          onClick={() =>
            void start(() =>
              invoke('package.start', {
                case: slug,
                decisionIds: list,
                related,
                formats: withReport ? ['html', 'json', 'csv'] : [],
                ...(out.trim() ? { out: out.trim() } : {}),
                ...(signingKey.trim() ? { signingKeyFile: signingKey.trim() } : {}),
              }),
            )
          }
        >
          Write the package ({formatCount(list.length)} decisions)
        </button>
      </div>
      <ErrorNote error={error} />
      {job && <JobProgress job={job} />}
      {result && (
        <p data-testid="package-result">
          Written <code>{result.file}</code> ({formatCount(result.files.length)} files;{' '}
          {Object.entries(result.records)
            .map(([s, r]) => `${formatCount(r.records)} ${s}`)
            .join(', ')}
          ). SHA-256 <code className="small">{result.sha256}</code>
        </p>
      )}
    </section>
  );
}

function CsvCard({ slug, options }: { slug: string; options: Options }) {
  const [name, setName] = useState(options.exporters[0]?.name ?? '');
  const [params, setParams] = useState<Record<string, string>>({});
  const [out, setOut] = useState('');
  const { job, error, start } = useJob();
  const exporter = options.exporters.find((e) => e.name === name);
  const result =
    job?.state === 'done'
      ? (job.result as { file: string; sidecar: { rows: number; bytes: number; sha256: string } })
      : undefined;
  return (
    <section className="card" aria-labelledby="csv-heading">
      <h3 id="csv-heading">CSV export</h3>
      <p className="small muted">
        RFC 4180, UTF-8, streamed; cells that a spreadsheet would run as a formula are escaped; a JSON sidecar names the
        query, its parameters and the file’s SHA-256.
      </p>
      <div className="form-grid">
        <label htmlFor="csv-exporter">What</label>
        <select id="csv-exporter" value={name} onChange={(e) => (setName(e.target.value), setParams({}))}>
          {options.exporters.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}: {e.description}
            </option>
          ))}
        </select>
        {exporter?.params.map((p) => (
          <div key={p.name} className="contents">
            <label htmlFor={`csv-${p.name}`}>
              {p.name}
              {p.required ? ' (required)' : ''}
            </label>
            <input
              id={`csv-${p.name}`}
              value={params[p.name] ?? ''}
              onChange={(e) => setParams({ ...params, [p.name]: e.target.value })}
              placeholder={p.description}
              title={p.description}
            />
          </div>
        ))}
        <label htmlFor="csv-out">File (absolute path, optional)</label>
        <input
          id="csv-out"
          value={out}
          onChange={(e) => setOut(e.target.value)}
          placeholder={`${options.exportsDir}/${name}-<date>.csv`}
        />
      </div>
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={!exporter || job?.state === 'running'}
          onClick={() =>
            void start(() =>
              invoke('export.csv', { case: slug, exporter: name, params, ...(out.trim() ? { out: out.trim() } : {}) }),
            )
          }
        >
          Export CSV
        </button>
      </div>
      <ErrorNote error={error} />
      {job && <JobProgress job={job} />}
      {result && (
        <p>
          Written <code>{result.file}</code>: {formatCount(result.sidecar.rows)} rows,{' '}
          {formatBytes(result.sidecar.bytes)}, SHA-256{' '}
          <code className="small">{result.sidecar.sha256.slice(0, 16)}…</code> (sidecar <code>{result.file}.json</code>)
        </p>
      )}
    </section>
  );
}

function VerifyPackageCard() {
  const [path, setPath] = useState('');
  const [trust, setTrust] = useState('');
  const { job, error, start } = useJob();
  const report = job?.state === 'done' ? (job.result as unknown as PackageVerifyReport) : undefined;
  return (
    <section className="card" aria-labelledby="verify-package-heading">
      <h3 id="verify-package-heading">Check an evidence package</h3>
      <p className="small muted">
        What a regulator does with a package: check SHA256SUMS, every record hash, every inclusion proof against its
        checkpoint, and the checkpoints’ signatures and time-stamps.
      </p>
      <div className="form-grid">
        <label htmlFor="vp-path">Package (absolute path)</label>
        <input id="vp-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/package.zip" />
        <label htmlFor="vp-trust">Trusted keys (PEM paths or fingerprints, one per line)</label>
        <textarea id="vp-trust" rows={2} value={trust} onChange={(e) => setTrust(e.target.value)} />
      </div>
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={!path.trim() || job?.state === 'running'}
          onClick={() =>
            void start(() =>
              invoke('package.verify', {
                path: path.trim(),
                trustKeys: trust
                  .split('\n')
                  .map((l) => l.trim())
                  .filter(Boolean),
              }),
            )
          }
        >
          Check the package
        </button>
      </div>
      <ErrorNote error={error} />
      {job && job.state !== 'done' && <JobProgress job={job} />}
      {report && (
        <div data-testid="package-verdict">
          <p>
            <Verdict value={report.verdict} /> {report.reason}
          </p>
          <p className="small">
            {formatCount(report.records)} records, {formatCount(report.provenRecords)} proven against their checkpoints;{' '}
            {formatCount(report.checkpoints.length)} checkpoints; package signature: {report.signature.status} (
            {report.signature.reason})
          </p>
          {report.findings.filter((f) => f.status !== 'pass').length > 0 && (
            <ul className="small">
              {report.findings
                .filter((f) => f.status !== 'pass')
                .slice(0, 50)
                .map((f, i) => (
                  <li key={i}>
                    <Verdict value={f.status} /> {f.file ? <code>{f.file}</code> : null} {f.message}
                  </li>
                ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
