import { useEffect, useState, type FormEvent } from 'react';
import type { JobSnapshot, PackageOpenResult } from '../../../src/contract/types.ts';
import { invoke, transport } from '../../api.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { JobProgress } from '../../components/JobProgress.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatTime } from '../../format.ts';
import { caseRoute, formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { shownError } from '../../store/errors.ts';
import type { ShownError } from '../../store/types.ts';
import { claimOpenedPaths } from './opened-path.ts';

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A case name from the package's file name: "acme-evidence.zip" -> "acme-evidence (package)". */
export function caseNameFor(path: string): string {
  const base = path.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const stem = base.replace(/\.zip$/i, '');
  return stem ? `${stem} (package)` : '';
}

const SAYS: Record<string, string> = {
  intact: 'Every file matches SHA256SUMS, every record matches its hash and is proven a member of its checkpoint.',
  tampered: 'Something in the package differs from what its hashes, proofs, checkpoints or SHA256SUMS assert.',
  incomplete: 'Files the package lists are missing.',
  unanchored: 'Some records are not proven against a checkpoint.',
  unverifiable: 'Integrity cannot be established for some records.',
};

/**
 * "Open evidence package": a package a workstation wrote (audit-ws package) becomes a read-only case. The
 * package is verified with the keys given here (the producer's checkpoint key, the investigator's key, the
 * TSA root), its records imported, and the verification shown on the case's Verification screen. Browser
 * mode takes an absolute path; in the desktop app File › Open archive… fills it in while this form is open.
 */
export function OpenPackageForm({ onClose }: { onClose?: () => void }) {
  const trackJob = useStore((s) => s.trackJob);
  const loadCases = useStore((s) => s.loadCases);
  const jobs = useStore((s) => s.jobs);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const [trustKeys, setTrustKeys] = useState('');
  const [trustTsa, setTrustTsa] = useState('');
  const [error, setError] = useState<ShownError | undefined>();
  const [started, setStarted] = useState<JobSnapshot | undefined>();

  const choosePath = (p: string) => {
    setPath(p);
    if (!nameEdited) setName(caseNameFor(p));
  };
  // In the desktop app, File › Open archive… fills the path while this form is open.
  useEffect(() => claimOpenedPaths((p) => choosePath(p)));

  const job = started ? (jobs[started.id] ?? started) : undefined;
  const running = job?.state === 'running';
  const result = job?.state === 'done' ? (job.result as unknown as PackageOpenResult) : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const snapshot = await invoke('package.open', {
        path: path.trim(),
        name: name.trim(),
        trustKeys: lines(trustKeys),
        trustTsa: lines(trustTsa),
      });
      setStarted(snapshot);
      trackJob(snapshot, () => void loadCases());
    } catch (err) {
      setError(shownError(err));
    }
  };

  return (
    <section className="card" aria-labelledby="open-package-heading" data-testid="open-package">
      <div className="card-head">
        <h2 id="open-package-heading">Open evidence package</h2>
        {onClose && (
          <button type="button" className="button small" onClick={onClose}>
            Close
          </button>
        )}
      </div>
      <p className="muted">
        An evidence package (a .zip written by <code>audit-ws package</code>, or its unpacked folder) is checked with
        the keys you trust, then opened as a <strong>read-only</strong> case: its records in the explorer and the
        timelines, its verification on the Verification screen. Nothing can be imported into it; your annotations stay
        yours.
      </p>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <label htmlFor="package-path">Package (absolute path)</label>
        <div className="stack">
          <input
            id="package-path"
            value={path}
            onChange={(e) => choosePath(e.target.value)}
            placeholder="/home/me/received/acme-evidence.zip"
            autoFocus
            spellCheck={false}
            autoComplete="off"
          />
          <span className="muted small">
            {transport() === 'electron'
              ? 'Type the path, or choose the file with File › Open archive… while this form is open.'
              : 'Browser mode cannot read paths from a file picker: type or paste the path.'}
          </span>
        </div>
        <label htmlFor="package-case-name">Case name</label>
        <input
          id="package-case-name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setNameEdited(true);
          }}
          maxLength={200}
          autoComplete="off"
        />
        <label htmlFor="package-trust-keys">Trusted keys (optional)</label>
        <div className="stack">
          <textarea
            id="package-trust-keys"
            rows={2}
            value={trustKeys}
            onChange={(e) => setTrustKeys(e.target.value)}
            placeholder="/keys/producer-checkpoint.pub.pem (one per line; or an SPKI SHA-256 fingerprint)"
            spellCheck={false}
          />
          <span className="muted small">
            The producer’s checkpoint-signing key and the investigator’s key, obtained out of band. Keys the package
            carries are never trusted for being there; without a pinned key its signatures only show the content is
            unchanged, not who wrote it.
          </span>
        </div>
        <label htmlFor="package-trust-tsa">Trusted time-stamp roots (optional)</label>
        <textarea
          id="package-trust-tsa"
          rows={1}
          value={trustTsa}
          onChange={(e) => setTrustTsa(e.target.value)}
          placeholder="/keys/tsa-root.pem"
          spellCheck={false}
        />
        <div />
        <div className="row">
          <button
            type="submit"
            className="button primary"
            disabled={running || path.trim() === '' || name.trim() === ''}
          >
            {running ? 'Opening…' : 'Verify and open as a read-only case'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {job && <JobProgress job={job} />}
      {result && <OpenedResult result={result} />}
    </section>
  );
}

function OpenedResult({ result }: { result: PackageOpenResult }) {
  return (
    <div className={`card verdict-card verdict-${result.verdict}`} data-testid="open-package-result">
      <h3>
        Package verdict: <Verdict value={result.verdict} />
      </h3>
      <p className="verdict-text">{SAYS[result.verdict]}</p>
      <p>{result.reason}</p>
      <p className="small">
        {formatCount(result.records)} records ({formatCount(result.provenRecords)} proven against{' '}
        {formatCount(result.checkpoints)} checkpoints), {formatCount(result.explanations)} explanation artefact(s);{' '}
        {formatCount(result.fails)} failure(s), {formatCount(result.warns)} warning(s). Package signature:{' '}
        <Verdict value={result.signature.status} title={result.signature.reason} />
        {result.manifest &&
          ` Cut from case “${result.manifest.case.name}” by ${result.manifest.creator.investigator}, ${formatTime(result.manifest.createdAt)}.`}
      </p>
      <p className="row">
        <a className="button primary" href={formatRoute(caseRoute(result.case, 'verify'))}>
          Open “{result.name}”: its verification
        </a>
        <a className="button" href={formatRoute(caseRoute(result.case, 'explorer'))}>
          Its records
        </a>
      </p>
    </div>
  );
}
