import { useEffect, useRef } from 'react';
import type { RecordView } from '../../../src/contract/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { SummaryList } from '../../components/SummaryList.tsx';
import { Verdict } from '../../components/Verdict.tsx';
import { caseRoute } from '../../route.ts';
import { useStore } from '../../store/index.ts';
import { describeLocator } from '../../store/record-slice.ts';
import { AnnotationBox } from '../annotations/AnnotationBox.tsx';

/** The record drawer: any screen opens a record here (a finding's place, a table row, a timeline event). */
export function RecordPanel() {
  const panel = useStore((s) => s.recordPanel);
  const closeRecord = useStore((s) => s.closeRecord);
  const heading = useRef<HTMLHeadingElement>(null);
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    if (panel.open) {
      opener.current = document.activeElement;
      heading.current?.focus();
    } else if (opener.current instanceof HTMLElement) {
      opener.current.focus();
      opener.current = null;
    }
  }, [panel.open]);

  useEffect(() => {
    if (!panel.open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeRecord();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [panel.open, closeRecord]);

  if (!panel.open || !panel.slug) return null;
  return (
    <aside
      className="drawer"
      role="dialog"
      aria-modal="false"
      aria-labelledby="record-heading"
      data-testid="record-panel"
    >
      <div className="drawer-head">
        <h2 id="record-heading" tabIndex={-1} ref={heading}>
          Record {panel.locator ? describeLocator(panel.locator) : ''}
        </h2>
        <button type="button" className="button small" onClick={closeRecord} aria-label="Close the record (Escape)">
          Close
        </button>
      </div>
      {panel.context && <p className="drawer-context">{panel.context}</p>}
      {panel.status === 'loading' && <p role="status">Looking up the record…</p>}
      <ErrorNote error={panel.error} />
      {panel.status === 'ready' && panel.matches.length === 0 && (
        <p className="notice">
          No record is stored at this place. If a verification finding points here, the record is missing from the
          archive (deleted), which is what the finding reports.
        </p>
      )}
      {panel.matches.map((m) => (
        <RecordDetails key={`${m.kind}-${m.file}-${m.line ?? m.row}`} slug={panel.slug as string} record={m} />
      ))}
    </aside>
  );
}

function RecordDetails({ slug, record }: { slug: string; record: RecordView }) {
  const navigate = useStore((s) => s.navigate);
  const closeRecord = useStore((s) => s.closeRecord);
  const decisionId = typeof record.fields.decisionId === 'string' ? record.fields.decisionId : undefined;
  const taskId = typeof record.fields.taskId === 'string' ? record.fields.taskId : undefined;
  const worst = record.findings.some((f) => f.status === 'fail')
    ? 'failed'
    : record.findings.some((f) => f.status === 'unverifiable')
      ? 'unverifiable'
      : record.findings.some((f) => f.status === 'warn')
        ? 'warning'
        : undefined;
  return (
    <article className="record" data-target={record.target}>
      <h3>
        {record.kind} <code>{record.target}</code> {worst && <Verdict value={worst} />}
      </h3>
      <p className="small muted">
        {record.stream !== undefined && `stream ${record.stream}`}
        {record.seq !== undefined && `, seq ${record.seq}`} · <code>{record.file}</code>
        {record.line !== undefined ? ` line ${record.line}` : record.row !== undefined ? ` row ${record.row}` : ''}
        {record.archive && (
          <>
            {' '}
            in <code>{record.archive}</code>
          </>
        )}
      </p>
      {record.findings.length > 0 && (
        <div className="record-findings">
          <h4>What verification found here</h4>
          <ul>
            {record.findings.map((f) => (
              <li key={f.id}>
                <Verdict value={f.status} /> <code>{f.check}</code> {f.message}
                {f.expected !== undefined && (
                  <span className="small">
                    expected <code>{JSON.stringify(f.expected)}</code>
                  </span>
                )}
                {f.actual !== undefined && (
                  <span className="small">
                    found <code>{JSON.stringify(f.actual)}</code>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {(decisionId || taskId) && (
        <p>
          <button
            type="button"
            className="button small"
            onClick={() => {
              closeRecord();
              navigate(caseRoute(slug, 'timeline', decisionId ? { decision: decisionId } : { task: taskId as string }));
            }}
          >
            Open the decision timeline
          </button>
        </p>
      )}
      <AnnotationBox slug={slug} target={record.target} />
      <h4>Members</h4>
      <SummaryList
        className="fields"
        items={[
          ...Object.entries(record.fields).map(([k, v]) => ({
            key: `member ${k}`,
            label: k,
            value:
              typeof v === 'object' && v !== null ? <pre>{JSON.stringify(v, null, 2)}</pre> : <code>{String(v)}</code>,
          })),
          record.extra !== undefined && {
            label: 'other members',
            value: <pre>{JSON.stringify(record.extra, null, 2)}</pre>,
          },
        ]}
      />
      <details>
        <summary>The line exactly as written</summary>
        <pre className="raw">{record.raw}</pre>
      </details>
    </article>
  );
}
