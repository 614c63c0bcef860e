import { useState } from 'react';
import type { CaseListItem, VerifyOptionsView, VerifyRequestOptions } from '../../../src/contract/types.ts';
import { DataTable } from '../../components/DataTable.tsx';

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A tick box that pins an offered key (by its source-file id) in one role. */
function PinBox(props: { id: number; pinned: number[]; onChange(pinned: number[]): void; label: string }) {
  const { id, pinned } = props;
  return (
    <label className="block">
      <input
        type="checkbox"
        checked={pinned.includes(id)}
        onChange={(e) =>
          props.onChange(e.target.checked ? [...new Set([...pinned, id])] : pinned.filter((x) => x !== id))
        }
      />{' '}
      {props.label}
    </label>
  );
}

/** A labelled two-line text box of a form grid, one entry a line (fingerprints, file paths). */
function LinesField(props: { id: string; label: string; value: string; onChange(value: string): void }) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        rows={2}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        spellCheck={false}
      />
    </>
  );
}

/**
 * What the investigator trusts, chosen before a run: the retention period to judge Object Lock against, the
 * archive's keys pinned as checkpoint signers or TSA roots (after comparing fingerprints), and key files or
 * fingerprints obtained out of band. Nothing an archive ships is trusted unless chosen here. A case opened
 * from an evidence package (`origin`) is verified as a package: only the keys apply, and the run re-checks
 * the copy of the package the case keeps.
 */
export function TrustOptions({
  options,
  origin,
  disabled,
  open,
  onRun,
}: {
  options: VerifyOptionsView;
  origin?: CaseListItem['origin'];
  disabled: boolean;
  open: boolean;
  onRun(options: VerifyRequestOptions): void;
}) {
  const last = options.last;
  const [retention, setRetention] = useState(last?.retention ?? 'eu-ai-act');
  const [keys, setKeys] = useState<number[]>(last?.trustKeys ?? []);
  const [tsa, setTsa] = useState<number[]>(last?.trustTsa ?? []);
  const [fingerprints, setFingerprints] = useState((last?.trustFingerprints ?? []).join('\n'));
  const [keyFiles, setKeyFiles] = useState((last?.trustKeyFiles ?? []).join('\n'));
  const [tsaFiles, setTsaFiles] = useState((last?.trustTsaFiles ?? []).join('\n'));
  const missing = origin ? [] : options.archives.filter((a) => !a.exists);
  const source = origin ? 'package' : 'archive';

  return (
    <details className="card trust" open={open} data-testid="trust-options">
      <summary>
        <h3>{origin ? 'What to trust' : 'What to trust, and the retention policy'}</h3>
      </summary>
      <div className="stack">
        {!origin && (
          <>
            <label className="inline">
              Retention policy{' '}
              <select
                value={retention}
                onChange={(e) => setRetention(e.target.value)}
                aria-describedby="retention-help"
              >
                {options.retentionPolicies.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.label}
                  </option>
                ))}
              </select>
            </label>
            <p id="retention-help" className="muted small">
              Checkpoints must be stored under COMPLIANCE-mode Object Lock and retained at least this long.
            </p>
          </>
        )}

        <h4>{origin ? 'Keys the package offers' : 'Keys the archives offer'}</h4>
        {options.offeredKeys.length === 0 ? (
          <p className="muted">
            {origin ? 'The package offers no keys' : 'The imported archives offer no keys'} (keys/*.pem).
          </p>
        ) : (
          <DataTable
            rows={options.offeredKeys}
            rowKey={(k) => k.sourceFileId}
            rowAttributes={(k) => ({ 'data-key': k.path })}
            columns={[
              { header: 'File', rowHeader: true, cell: (k) => <code>{k.path}</code> },
              {
                header: 'Key',
                cell: (k) => (
                  <>
                    {k.kind === 'unreadable' ? <span className="error">{k.problem}</span> : `${k.kind}, ${k.algorithm}`}
                    {k.subject && <div className="small muted">{k.subject}</div>}
                  </>
                ),
              },
              {
                header: 'SHA-256 fingerprint (compare it out of band)',
                cell: (k) => <code className="small fingerprint">{k.fingerprint ?? '–'}</code>,
              },
              {
                header: 'Trust as',
                cell: (k) =>
                  k.kind !== 'unreadable' && (
                    <>
                      <PinBox id={k.sourceFileId} pinned={keys} onChange={setKeys} label="checkpoint signer" />
                      <PinBox id={k.sourceFileId} pinned={tsa} onChange={setTsa} label="time-stamp authority root" />
                    </>
                  ),
              },
            ]}
          />
        )}
        <p className="muted small">
          A key found in the {source} proves only that whoever wrote the {source} holds it. Pin it only when its
          fingerprint matches one you obtained independently (from the producer, a key server, a contract).
        </p>

        <details>
          <summary>Keys from elsewhere</summary>
          <div className="form-grid">
            <LinesField
              id="trust-fingerprints"
              label="Pinned fingerprints (one per line)"
              value={fingerprints}
              onChange={setFingerprints}
            />
            <LinesField
              id="trust-key-files"
              label="Signing key files (absolute paths)"
              value={keyFiles}
              onChange={setKeyFiles}
            />
            <LinesField
              id="trust-tsa-files"
              label="TSA root certificates (absolute paths)"
              value={tsaFiles}
              onChange={setTsaFiles}
            />
          </div>
        </details>

        {missing.length > 0 && (
          <p role="alert" className="error">
            {missing.map((m) => m.path).join(', ')}: no longer at the path it was imported from. Verification re-reads
            the original archives: put them back, or import them again from where they are now.
          </p>
        )}
        <div className="row">
          <button
            type="button"
            className="button primary"
            disabled={disabled || (!origin && options.archives.length === 0)}
            onClick={() =>
              onRun({
                retention,
                trustKeys: keys,
                trustTsa: tsa,
                trustFingerprints: lines(fingerprints),
                trustKeyFiles: lines(keyFiles),
                trustTsaFiles: lines(tsaFiles),
              })
            }
          >
            {disabled ? 'Verifying…' : 'Run verification'}
          </button>
          <span className="muted">
            {origin
              ? `Re-checks the copy of the package kept in the case (${origin.kept}).`
              : options.archives.length === 0
                ? 'Import an archive first.'
                : `${options.archives.length} archive(s): ${options.archives.map((a) => a.path).join(', ')}`}
          </span>
        </div>
      </div>
    </details>
  );
}
