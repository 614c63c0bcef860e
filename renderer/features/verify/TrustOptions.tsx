import { useState } from 'react';
import type { VerifyOptionsView, VerifyRequestOptions } from '../../../src/contract/types.ts';

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * What the investigator trusts, chosen before a run: the retention period to judge Object Lock against, the
 * archive's keys pinned as checkpoint signers or TSA roots (after comparing fingerprints), and key files or
 * fingerprints obtained out of band. Nothing an archive ships is trusted unless chosen here.
 */
export function TrustOptions({
  options,
  disabled,
  open,
  onRun,
}: {
  options: VerifyOptionsView;
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
  const toggle = (list: number[], id: number, on: boolean) =>
    on ? [...new Set([...list, id])] : list.filter((x) => x !== id);
  const missing = options.archives.filter((a) => !a.exists);

  return (
    <details className="card trust" open={open} data-testid="trust-options">
      <summary>
        <h3>What to trust, and the retention policy</h3>
      </summary>
      <div className="stack">
        <label className="inline">
          Retention policy{' '}
          <select value={retention} onChange={(e) => setRetention(e.target.value)} aria-describedby="retention-help">
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

        <h4>Keys the archives offer</h4>
        {options.offeredKeys.length === 0 ? (
          <p className="muted">The imported archives offer no keys (keys/*.pem).</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Key</th>
                  <th scope="col">SHA-256 fingerprint (compare it out of band)</th>
                  <th scope="col">Trust as</th>
                </tr>
              </thead>
              <tbody>
                {options.offeredKeys.map((k) => (
                  <tr key={k.sourceFileId} data-key={k.path}>
                    <th scope="row">
                      <code>{k.path}</code>
                    </th>
                    <td>
                      {k.kind === 'unreadable' ? (
                        <span className="error">{k.problem}</span>
                      ) : (
                        `${k.kind}, ${k.algorithm}`
                      )}
                      {k.subject && <div className="small muted">{k.subject}</div>}
                    </td>
                    <td>
                      <code className="small fingerprint">{k.fingerprint ?? '–'}</code>
                    </td>
                    <td>
                      {k.kind !== 'unreadable' && (
                        <>
                          <label className="block">
                            <input
                              type="checkbox"
                              checked={keys.includes(k.sourceFileId)}
                              onChange={(e) => setKeys(toggle(keys, k.sourceFileId, e.target.checked))}
                            />{' '}
                            checkpoint signer
                          </label>
                          <label className="block">
                            <input
                              type="checkbox"
                              checked={tsa.includes(k.sourceFileId)}
                              onChange={(e) => setTsa(toggle(tsa, k.sourceFileId, e.target.checked))}
                            />{' '}
                            time-stamp authority root
                          </label>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted small">
          A key found in the archive proves only that whoever wrote the archive holds it. Pin it only when its
          fingerprint matches one you obtained independently (from the producer, a key server, a contract).
        </p>

        <details>
          <summary>Keys from elsewhere</summary>
          <div className="form-grid">
            <label htmlFor="trust-fingerprints">Pinned fingerprints (one per line)</label>
            <textarea
              id="trust-fingerprints"
              rows={2}
              value={fingerprints}
              onChange={(e) => setFingerprints(e.target.value)}
              spellCheck={false}
            />
            <label htmlFor="trust-key-files">Signing key files (absolute paths)</label>
            <textarea
              id="trust-key-files"
              rows={2}
              value={keyFiles}
              onChange={(e) => setKeyFiles(e.target.value)}
              spellCheck={false}
            />
            <label htmlFor="trust-tsa-files">TSA root certificates (absolute paths)</label>
            <textarea
              id="trust-tsa-files"
              rows={2}
              value={tsaFiles}
              onChange={(e) => setTsaFiles(e.target.value)}
              spellCheck={false}
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
            disabled={disabled || options.archives.length === 0}
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
            {options.archives.length === 0
              ? 'Import an archive first.'
              : `${options.archives.length} archive(s): ${options.archives.map((a) => a.path).join(', ')}`}
          </span>
        </div>
      </div>
    </details>
  );
}
