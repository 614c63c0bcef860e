import type { CaseListItem } from '../../../src/contract/types.ts';
import { formatTime } from '../../format.ts';
import { caseRoute, formatRoute } from '../../route.ts';

/** The read-only pill a case opened from an evidence package carries, with the reason as its title. */
export function ReadOnlyBadge({
  item,
  short = false,
}: {
  item: Pick<CaseListItem, 'readOnly' | 'origin'>;
  /** Just "read-only" (the narrow case navigation). */
  short?: boolean;
}) {
  if (!item.readOnly) return null;
  return (
    <span className="pill tone-neutral" title={`Read-only: ${item.readOnly}`} data-testid="read-only-badge">
      read-only{!short && item.origin?.kind === 'evidence-package' ? ' · evidence package' : ''}
    </span>
  );
}

/** Where a package case's evidence came from, in one paragraph. */
export function PackageOrigin({ item }: { item: Pick<CaseListItem, 'origin'> }) {
  const o = item.origin;
  if (!o) return null;
  return (
    <p className="small">
      Opened from <code>{o.file}</code> (SHA-256 <code className="fingerprint">{o.sha256}</code>) by {o.openedBy},{' '}
      {formatTime(o.openedAt)}. The package says it was cut from case “{o.sourceCase ?? '?'}” by {o.investigator ?? '?'}
      , {formatTime(o.createdAt)}; a copy is kept in the case as <code>{o.kept}</code>.
    </p>
  );
}

/**
 * What a write action shows on a read-only case instead of its form: why it is refused, and what can be
 * done instead (read the package's verification, look at its records, annotate).
 */
export function ReadOnlyNotice({
  slug,
  item,
  action,
}: {
  slug: string;
  item: Pick<CaseListItem, 'readOnly' | 'origin'>;
  action: string;
}) {
  return (
    <section className="card" data-testid="read-only-notice" aria-labelledby="read-only-heading">
      <h2 id="read-only-heading">
        {action}: not in a read-only case <ReadOnlyBadge item={item} />
      </h2>
      <p>This case is read-only: {item.readOnly}</p>
      <PackageOrigin item={item} />
      <p className="row">
        <a className="button" href={formatRoute(caseRoute(slug, 'verify'))}>
          The package’s verification
        </a>
        <a className="button" href={formatRoute(caseRoute(slug, 'explorer'))}>
          Its records
        </a>
        <a className="button" href={formatRoute(caseRoute(slug, 'annotations'))}>
          Your annotations
        </a>
      </p>
    </section>
  );
}

/**
 * On the Verification screen of a package case: what its verification is (the package's own checks), and
 * what running it again does (the kept copy of the package, with the keys chosen below).
 */
export function PackageVerificationNote({ item }: { item: Pick<CaseListItem, 'readOnly' | 'origin'> | undefined }) {
  if (!item?.origin) return null;
  return (
    <section className="card" data-testid="package-verification-note" aria-labelledby="package-note-heading">
      <h3 id="package-note-heading">
        Verification of an evidence package <ReadOnlyBadge item={item} />
      </h3>
      <p>
        This case holds no archives: its evidence is the package’s records. Its verification checks the package itself:
        every file against SHA256SUMS, the investigator’s signature over it, every record’s hash, every record’s RFC
        6962 inclusion proof against its checkpoint, the checkpoints’ signatures and RFC 3161 time-stamps against the
        keys you trust, the explanation artefacts against the object store’s checksums, and the investigator’s custody
        log. Running it again re-checks the copy kept in the case (after checking that copy against the SHA-256 recorded
        when it was opened) with the keys chosen below.
      </p>
      <PackageOrigin item={item} />
    </section>
  );
}
