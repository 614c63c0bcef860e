import { useMemo, useState } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { LinkButton } from '../../components/LinkButton.tsx';
import { formatTime, plural } from '../../format.ts';
import { caseRoute, formatRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';

/** Everything the investigator has said about records in this case: stars, tags and comments. */
export function AnnotationsScreen({ slug }: { slug: string }) {
  const annotations = useStore((s) => s.annotations);
  const openRecord = useStore((s) => s.openRecord);
  const deleteAnnotation = useStore((s) => s.deleteAnnotation);
  const [tag, setTag] = useState('');
  const [onlyStarred, setOnlyStarred] = useState(false);
  const all = useMemo(() => (annotations.slug === slug ? annotations.all : []), [annotations, slug]);
  const tags = useMemo(() => [...new Set(all.flatMap((a) => a.tags))].sort(), [all]);
  const shown = all.filter((a) => (!tag || a.tags.includes(tag)) && (!onlyStarred || a.starred));
  const targets = Object.keys(annotations.byTarget).length;

  return (
    <div className="screen" data-testid="annotations-screen">
      <header className="screen-head">
        <h2>Annotations</h2>
        <p className="muted">
          {plural(all.length, 'note')} on {plural(targets, 'record')}. Notes are stored in the case, recorded in its
          custody log, and included in reports and evidence packages. Add them from any record (open one from the
          explorer, a timeline or a finding).
        </p>
      </header>
      <section className="card">
        <div className="row filters">
          <label>
            Tag{' '}
            <select value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">any</option>
              {tags.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={onlyStarred} onChange={(e) => setOnlyStarred(e.target.checked)} /> starred
            only
          </label>
        </div>
        <ErrorNote error={annotations.error} />
        {annotations.status === 'loading' && all.length === 0 && <p role="status">Loading notes…</p>}
        {annotations.status === 'ready' && all.length === 0 && (
          <p>
            No notes yet. Open a record in the <a href={formatRoute(caseRoute(slug, 'explorer'))}>explorer</a> and star,
            tag or comment it.
          </p>
        )}
        {shown.length > 0 && (
          <DataTable
            testId="annotations-table"
            rows={shown}
            rowKey={(a) => a.id}
            rowAttributes={(a) => ({ 'data-annotation': a.id })}
            columns={[
              {
                header: 'Record',
                cell: (a) => (
                  <LinkButton onClick={() => void openRecord(slug, { target: a.target })}>
                    <code>{a.target}</code>
                  </LinkButton>
                ),
              },
              { header: 'Star', cell: (a) => (a.starred ? <span aria-label="starred">★</span> : '') },
              {
                header: 'Tags',
                cell: (a) =>
                  a.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  )),
              },
              { header: 'Comment', cell: (a) => a.text },
              {
                header: 'By, when',
                cellClass: 'small',
                cell: (a) => (
                  <>
                    {a.actor}
                    <br />
                    {formatTime(a.createdAt)}
                  </>
                ),
              },
              {
                header: <span className="sr-only">Actions</span>,
                cell: (a) => <LinkButton onClick={() => void deleteAnnotation(slug, a.id)}>Delete</LinkButton>,
              },
            ]}
          />
        )}
      </section>
    </div>
  );
}
