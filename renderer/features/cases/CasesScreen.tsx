import { useEffect, useState, type FormEvent } from 'react';
import type { CaseListItem } from '../../../src/contract/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatCount, formatTime } from '../../format.ts';
import { caseRoute, formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { OpenPackageForm } from '../package/OpenPackageForm.tsx';
import { ReadOnlyBadge } from '../package/ReadOnlyNotice.tsx';

/** Whether a case can be used now, in a word: importing, in use elsewhere, interrupted, read-only or ready. */
function CaseStatus({ item: c }: { item: CaseListItem }) {
  if (c.busy) return <span className="notice">importing</span>;
  if (c.inUseBy) {
    return (
      <span className="notice" title={c.inUseBy}>
        in use elsewhere
      </span>
    );
  }
  if (c.interruptedImports > 0) return <span className="notice">{c.interruptedImports} interrupted import(s)</span>;
  if (c.readOnly) {
    return (
      <span className="muted" title={c.readOnly}>
        read-only
      </span>
    );
  }
  return <span className="muted">ready</span>;
}

export function CasesScreen() {
  const cases = useStore((s) => s.cases);
  const loadCases = useStore((s) => s.loadCases);
  const createCase = useStore((s) => s.createCase);
  const deleteCase = useStore((s) => s.deleteCase);
  const navigate = useStore((s) => s.navigate);
  const demoCase = useStore((s) => s.demoCase);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [confirming, setConfirming] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const [openingPackage, setOpeningPackage] = useState(false);

  useEffect(() => {
    void loadCases();
  }, [loadCases]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setCreating(true);
    const slug = await createCase(name.trim(), description.trim() || undefined);
    setCreating(false);
    if (slug) {
      setName('');
      setDescription('');
      navigate(caseRoute(slug, 'import'));
    }
  };

  return (
    <main id="content" className="page" tabIndex={-1}>
      <section className="card" aria-labelledby="cases-heading">
        <div className="card-head">
          <h2 id="cases-heading">Cases</h2>
          <div className="header-actions">
            <button
              type="button"
              className="button"
              aria-expanded={openingPackage}
              aria-controls="open-package-heading"
              onClick={() => setOpeningPackage(true)}
            >
              Open evidence package…
            </button>
            <a className="button" href={formatRoute({ page: 'inspect' })}>
              Inspect an archive without importing…
            </a>
          </div>
        </div>
        <p className="muted">
          A case holds the archives you import, what verification found, and your notes. Workspace:{' '}
          <code>{cases.workspace ?? '…'}</code>
        </p>
        <ErrorNote error={cases.error} />
        {cases.status === 'loading' && cases.list.length === 0 && <p role="status">Loading cases…</p>}
        {cases.status === 'ready' && cases.list.length === 0 && (
          <p>No cases yet. Create one below{demoCase?.reason ? ` (${demoCase.reason})` : ''}.</p>
        )}
        {cases.list.length > 0 && (
          <DataTable
            testId="cases-table"
            caption="Cases in this workspace"
            captionHidden
            rows={cases.list}
            rowKey={(c) => c.slug}
            rowAttributes={(c) => ({ 'data-case': c.slug })}
            columns={[
              {
                header: 'Case',
                rowHeader: true,
                cell: (c) => (
                  <>
                    <a href={formatRoute(caseRoute(c.slug))}>{c.name}</a> <ReadOnlyBadge item={c} />
                    {c.description && <div className="muted small">{c.description}</div>}
                  </>
                ),
              },
              { header: 'Records', num: true, cell: (c) => formatCount(c.totals.records) },
              { header: 'Imports', num: true, cell: (c) => formatCount(c.totals.imports) },
              { header: 'Last import', cell: (c) => formatTime(c.totals.lastImportAt) },
              {
                header: 'Created',
                cell: (c) => (
                  <>
                    {formatTime(c.createdAt)}
                    <div className="muted small">by {c.createdBy}</div>
                  </>
                ),
              },
              { header: 'Status', cell: (c) => <CaseStatus item={c} /> },
              {
                header: <span className="sr-only">Actions</span>,
                cellClass: 'actions',
                cell: (c) =>
                  confirming === c.slug ? (
                    <span className="confirm" role="group" aria-label={`Confirm deleting ${c.name}`}>
                      Delete “{c.name}” and everything in it?{' '}
                      <button
                        type="button"
                        className="button danger small"
                        onClick={async () => {
                          if (await deleteCase(c.slug)) setConfirming(undefined);
                        }}
                      >
                        Delete
                      </button>{' '}
                      <button type="button" className="button small" onClick={() => setConfirming(undefined)}>
                        Keep
                      </button>
                    </span>
                  ) : (
                    <>
                      <a className="button small" href={formatRoute(caseRoute(c.slug))}>
                        Open
                      </a>{' '}
                      <button
                        type="button"
                        className="button small"
                        onClick={() => setConfirming(c.slug)}
                        aria-label={`Delete case ${c.name}`}
                      >
                        Delete…
                      </button>
                    </>
                  ),
              },
            ]}
          />
        )}
      </section>

      {openingPackage && <OpenPackageForm onClose={() => setOpeningPackage(false)} />}

      <section className="card" aria-labelledby="new-case-heading">
        <h2 id="new-case-heading">New case</h2>
        <form className="form-grid" onSubmit={submit}>
          <label htmlFor="case-name">Name</label>
          <input
            id="case-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Credit scoring review 2026-Q1"
            autoComplete="off"
            maxLength={200}
          />
          <label htmlFor="case-description">Description (optional)</label>
          <input
            id="case-description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="What is being investigated, for whom"
            autoComplete="off"
          />
          <div />
          <div>
            <button type="submit" className="button primary" disabled={creating || name.trim() === ''}>
              Create case and import…
            </button>
          </div>
        </form>
      </section>
    </main>
  );
}
