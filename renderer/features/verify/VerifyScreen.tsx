import { useEffect, useState } from 'react';
import type { FindingRow, Page, VerifyRequestOptions } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { LinkButton } from '../../components/LinkButton.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { Pager } from '../../components/Pager.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatTime } from '../../format.ts';
import { useStore } from '../../store/index.ts';
import { shownError } from '../../store/errors.ts';
import type { ShownError } from '../../store/types.ts';
import { CheckpointAxis } from './CheckpointAxis.tsx';
import { TrustOptions } from './TrustOptions.tsx';
import { PackageVerificationNote } from '../package/ReadOnlyNotice.tsx';

const VERDICT_TEXT: Record<string, string> = {
  intact: 'Every record hash, link and checkpoint checked out, and every record is anchored.',
  tampered: 'Records or files differ from what their hashes, links, checkpoints or the manifest assert.',
  incomplete: 'Records or files that the checkpoints or the manifest list are missing.',
  unanchored: 'The chain is consistent, but some records are not covered by any checkpoint.',
  unverifiable: 'Integrity cannot be established for some or all records.',
};

export function VerifyScreen({ slug }: { slug: string }) {
  const verification = useStore((s) => s.verification);
  const loadVerification = useStore((s) => s.loadVerification);
  const startVerification = useStore((s) => s.startVerification);
  const jobs = useStore((s) => s.jobs);
  const current = useStore((s) => s.current);

  useEffect(() => {
    void loadVerification(slug);
  }, [slug, loadVerification]);

  const v = verification.slug === slug ? verification : undefined;
  const view = v?.view;
  const job = v?.job ? (jobs[v.job.id] ?? v.job) : undefined;
  const running = job?.state === 'running';
  const item = current.slug === slug ? current.overview?.case : undefined;
  // A case opened from an evidence package: its verification is the package's own (src/package/case-run.ts),
  // so what concerns archives (the retention policy, the archive verdict's wording) is not shown.
  const origin = item?.origin;

  return (
    <div className="screen" data-testid="verify-screen">
      <header className="screen-head">
        <h2>Verification</h2>
        {!origin && (
          <p className="muted">
            Re-reads the imported archives and checks every record hash and link, the checkpoints (Merkle roots,
            signatures, RFC 3161 time-stamps) and the object-store manifest, offline.
          </p>
        )}
      </header>
      <PackageVerificationNote item={item} />

      {v?.options && (
        <TrustOptions
          options={v.options}
          origin={origin}
          disabled={running}
          open={!view}
          onRun={(opts: VerifyRequestOptions) => void startVerification(slug, opts)}
        />
      )}
      <ErrorNote error={v?.error} />
      {job && (running || job.state === 'failed' || job.state === 'cancelled') && (
        <section className="card">
          <JobProgress job={job} />
        </section>
      )}

      {v?.status === 'loading' && !view && <p role="status">Reading the last verification…</p>}
      {v?.status === 'ready' && view === null && !running && (
        <section className="card">
          <h3>Not verified yet</h3>
          <p>Nothing in this case has been checked. Choose what to trust above, then run the verification.</p>
        </section>
      )}

      {view && (
        <>
          <section
            className={`card verdict-card verdict-${view.run.verdict}`}
            aria-labelledby="verdict-heading"
            data-testid="verdict"
          >
            <h3 id="verdict-heading">
              Overall verdict: <Verdict value={view.run.verdict} />
            </h3>
            {!origin && <p className="verdict-text">{VERDICT_TEXT[view.run.verdict]}</p>}
            <p>{view.run.reason}</p>
            <p className="muted small">
              Run #{view.run.id} by {view.run.actor}, {formatTime(view.run.finishedAt ?? view.run.startedAt)};{' '}
              {!origin && `retention policy ${view.run.options.retention}; `}
              {formatCount(view.run.options.trustKeys.length + view.run.options.trustKeyFiles.length)} pinned signing
              key(s), {formatCount(view.run.options.trustFingerprints.length)} pinned fingerprint(s),{' '}
              {formatCount(view.run.options.trustTsa.length + view.run.options.trustTsaFiles.length)} TSA trust
              anchor(s).
              {view.previous &&
                ` Previous run #${view.previous.id}: ${view.previous.verdict}, ${formatCount(view.previous.fails)} failures, ${formatCount(view.previous.warns)} warnings.`}
              {view.comparison &&
                view.comparison.previousRunId !== undefined &&
                ` Since then: ${formatCount(view.comparison.newFindings)} new finding(s), ${formatCount(view.comparison.resolvedFindings)} resolved, ${formatCount(view.comparison.unchangedFindings)} unchanged.`}
            </p>
            <p className="counts">
              {Object.entries(view.byStatus).map(([status, n]) => (
                <span key={status}>
                  <Verdict value={status} /> {formatCount(n)}
                </span>
              ))}
              {view.run.findingsDropped > 0 && (
                <span className="muted"> (+{formatCount(view.run.findingsDropped)} not kept)</span>
              )}
            </p>
          </section>

          <section className="card" aria-labelledby="streams-heading">
            <h3 id="streams-heading">Streams</h3>
            <DataTable
              testId="stream-status"
              rows={view.streams}
              rowKey={(s) => s.name}
              rowAttributes={(s) => ({ 'data-stream': s.name })}
              columns={[
                { header: 'Stream', rowHeader: true, cell: (s) => s.name },
                { header: 'Verdict', cell: (s) => <Verdict value={s.verdict} /> },
                { header: 'Records', num: true, cell: (s) => formatCount(s.records) },
                {
                  header: 'Seq range',
                  num: true,
                  cell: (s) => (s.firstSeq !== undefined ? `${s.firstSeq}–${s.lastSeq}` : '–'),
                },
                { header: 'Checkpoints', num: true, cell: (s) => formatCount(s.checkpoints) },
                { header: 'Anchored', num: true, cell: (s) => formatCount(s.anchoredRecords) },
                { header: 'Findings', num: true, cell: (s) => formatCount(s.findings) },
                { header: 'Why', cellClass: 'small', cell: (s) => s.reason },
              ]}
            />
          </section>

          <CheckpointAxis points={view.checkpoints} />

          {view.manifest.length > 0 && (
            <section className="card" aria-labelledby="manifest-heading">
              <h3 id="manifest-heading">Object-store manifest, Object Lock and retention</h3>
              <FindingsTable slug={slug} rows={view.manifest} />
            </section>
          )}

          <section className="card" aria-labelledby="checks-heading">
            <h3 id="checks-heading">Checks</h3>
            <DataTable
              rows={view.checks}
              rowKey={(c) => c.id}
              rowAttributes={(c) => ({ 'data-check': c.id })}
              columns={[
                {
                  header: 'Check',
                  rowHeader: true,
                  cell: (c) => (
                    <>
                      {c.title} <code className="muted small">{c.id}</code>
                    </>
                  ),
                },
                { header: 'Passed', num: true, cell: (c) => formatCount(c.pass) },
                {
                  header: 'Failed',
                  num: true,
                  cellClass: (c) => (c.fail ? 'error' : undefined),
                  cell: (c) => formatCount(c.fail),
                },
                {
                  header: 'Warnings',
                  num: true,
                  cellClass: (c) => (c.warn ? 'notice' : undefined),
                  cell: (c) => formatCount(c.warn),
                },
                { header: 'Unverifiable', num: true, cell: (c) => formatCount(c.unverifiable) },
              ]}
            />
          </section>

          <AllFindings
            slug={slug}
            runId={view.run.id}
            streams={view.streams.map((s) => s.name)}
            initialStatus={view.run.fails > 0 ? 'fail' : ''}
          />
        </>
      )}
    </div>
  );
}

function AllFindings({
  slug,
  runId,
  streams,
  initialStatus,
}: {
  slug: string;
  runId: number;
  streams: string[];
  /** Failures first when there are any: the broken records are what the investigator came for. */
  initialStatus: string;
}) {
  const [status, setStatus] = useState<string>(initialStatus);
  const [stream, setStream] = useState<string>('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<FindingRow> | undefined>();
  const [error, setError] = useState<ShownError | undefined>();
  const pageSize = 50;
  useEffect(() => {
    let live = true;
    const params = {
      case: slug,
      runId,
      offset,
      limit: pageSize,
      ...(status ? { status } : {}),
      ...(stream ? { stream } : {}),
    };
    invoke('verify.findings', params).then(
      (p) => live && (setPage(p), setError(undefined)),
      (err: unknown) => live && setError(shownError(err)),
    );
    return () => {
      live = false;
    };
  }, [slug, runId, status, stream, offset]);
  return (
    <section className="card" aria-labelledby="findings-heading">
      <h3 id="findings-heading">Findings {page ? `(${formatCount(page.total)})` : ''}</h3>
      <div className="row filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => (setStatus(e.target.value), setOffset(0))}>
            <option value="">all</option>
            <option value="fail">failed</option>
            <option value="warn">warnings</option>
            <option value="unverifiable">unverifiable</option>
          </select>
        </label>
        <label>
          Stream{' '}
          <select value={stream} onChange={(e) => (setStream(e.target.value), setOffset(0))}>
            <option value="">all</option>
            {streams.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={error} />
      {page && page.total === 0 && <p className="muted">No findings of this kind: every check of this kind passed.</p>}
      {page && page.rows.length > 0 && <FindingsTable slug={slug} rows={page.rows} testId="findings-table" />}
      {page && <Pager page={page} pageSize={pageSize} onPage={setOffset} />}
    </section>
  );
}

/** Where a finding is: its stream and seq range. */
function findingWhere(f: FindingRow): string {
  return [
    f.stream ? `${f.stream}` : '',
    f.seq !== undefined ? `seq ${f.seq}${f.seqEnd !== undefined && f.seqEnd !== f.seq ? `–${f.seqEnd}` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The file a finding names, with its line or row. */
function findingFile(f: FindingRow): string {
  return f.file ? `${f.file}${f.line !== undefined ? `:${f.line}` : f.row !== undefined ? ` row ${f.row}` : ''}` : '';
}

/** Findings with their place; a finding about a record opens that record, one about a file says which. */
export function FindingsTable({ slug, rows, testId }: { slug: string; rows: FindingRow[]; testId?: string }) {
  const openRecord = useStore((s) => s.openRecord);
  const open = (f: FindingRow) =>
    void openRecord(
      slug,
      f.file !== undefined && f.line !== undefined
        ? { file: f.file, line: f.line }
        : f.file !== undefined && f.row !== undefined
          ? { file: f.file, row: f.row }
          : { stream: f.stream, seq: f.seq },
      `${f.status.toUpperCase()} ${f.check}: ${f.message}`,
    );
  return (
    <DataTable
      testId={testId}
      rows={rows}
      rowKey={(f) => f.id}
      rowAttributes={(f) => ({ 'data-finding': f.check, 'data-status': f.status })}
      columns={[
        { header: 'Status', cell: (f) => <Verdict value={f.status} /> },
        { header: 'Check', cell: (f) => <code>{f.check}</code> },
        {
          header: 'Where',
          cell: (f) => {
            const where = findingWhere(f);
            const file = findingFile(f);
            const canOpen =
              (f.stream !== undefined && f.seq !== undefined) ||
              (f.file !== undefined && (f.line !== undefined || f.row !== undefined));
            return (
              <>
                {where && <div>{where}</div>}
                {file && <code className="small">{file}</code>}
                {canOpen && (
                  <div>
                    <LinkButton onClick={() => open(f)}>Open the record</LinkButton>
                  </div>
                )}
              </>
            );
          },
        },
        {
          header: 'What',
          cell: (f) => (
            <>
              {f.message}
              {(f.expected !== undefined || f.actual !== undefined) && (
                <div className="small muted">
                  {f.expected !== undefined && (
                    <>
                      expected <code>{JSON.stringify(f.expected)}</code>{' '}
                    </>
                  )}
                  {f.actual !== undefined && (
                    <>
                      found <code>{JSON.stringify(f.actual)}</code>
                    </>
                  )}
                </div>
              )}
            </>
          ),
        },
      ]}
    />
  );
}
