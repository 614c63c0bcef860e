import type { ReactNode } from 'react';
import type { Report } from '../../store/index.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { SummaryList } from '../../components/SummaryList.tsx';
import { formatBytes, formatCount, formatCountMap } from '../../format.ts';

const KIND_ORDER = ['decision', 'lifecycle', 'review', 'outcome', 'unknown'];

function Presence({ present }: { present: boolean }) {
  return <span className={present ? 'present' : 'absent'}>{present ? '✓ present' : '– absent'}</span>;
}

export function OverviewTable({ report }: { report: Report }) {
  const d = report.descriptor;
  const system = d.system?.name ? `${d.system.name}${d.system.operator ? ` (${d.system.operator})` : ''}` : '–';
  const rows: [string, ReactNode][] = [
    ['Source', <code key="s">{report.source}</code>],
    ['Container', report.container],
    [
      'Descriptor',
      d.present ? `${d.format ?? '?'} ${d.formatVersion ?? ''}`.trim() : 'absent: streams found by content',
    ],
    ['System', system],
    ['Exported at', d.exportedAt ?? '–'],
    ['Records', `${formatCount(report.records.total)} in ${formatCount(report.dataFiles.length)} data files`],
    ['Files', `${formatCount(report.files.total)} (${formatBytes(report.files.bytes)})`],
  ];
  if (report.records.unverifiable > 0)
    rows.push(['Unverifiable (Parquet types)', formatCount(report.records.unverifiable)]);
  if (report.records.errors > 0) rows.push(['Unreadable records', formatCount(report.records.errors)]);
  return <SummaryList wrap caption="Archive" items={rows.map(([label, value]) => ({ key: label, label, value }))} />;
}

export function StreamsTable({ report }: { report: Report }) {
  return (
    <DataTable
      caption="Streams"
      rows={report.streams}
      rowKey={(s) => s.name}
      rowAttributes={(s) => ({ 'data-stream': s.name })}
      columns={[
        {
          header: 'Stream',
          rowHeader: true,
          cell: (s) => (
            <>
              {s.name}
              {!s.declared && <span className="muted"> (found by content)</span>}
            </>
          ),
        },
        { header: 'Kind', cell: (s) => s.kind ?? '?' },
        { header: 'Records', num: true, dataCol: 'records', cell: (s) => formatCount(s.records) },
        { header: 'Chained', num: true, dataCol: 'chained', cell: (s) => formatCount(s.chained) },
        {
          header: 'Seq range',
          num: true,
          cell: (s) => (s.firstSeq !== undefined ? `${s.firstSeq}–${s.lastSeq}` : '–'),
        },
        { header: 'Dialects', cell: (s) => formatCountMap(s.byDialect) },
        { header: 'Files', num: true, cell: (s) => formatCount(s.files.length) },
        { header: 'Checkpoints', num: true, dataCol: 'checkpoints', cell: (s) => formatCount(s.checkpoints) },
      ]}
    />
  );
}

export function KindsTable({ report }: { report: Report }) {
  const byKind = report.records.byKind as Partial<Record<string, number>>;
  const kinds = Object.keys(byKind).sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b));
  // The kinds, then their total in a row of its own.
  const rows = [
    ...kinds.map((kind) => ({ kind, records: byKind[kind], total: false })),
    { kind: 'total', records: report.records.total, total: true },
  ];
  return (
    <DataTable
      caption="Records by kind"
      rows={rows}
      rowKey={(r) => (r.total ? ' total' : r.kind)}
      rowAttributes={(r) => (r.total ? { className: 'total' } : { 'data-kind': r.kind })}
      columns={[
        { header: 'Kind', rowHeader: true, cell: (r) => r.kind },
        { header: 'Records', num: true, dataCol: 'records', cell: (r) => formatCount(r.records) },
      ]}
    />
  );
}

export function PresenceTable({ report }: { report: Report }) {
  const c = report.checkpoints;
  const p = report.present;
  const rows: [string, boolean, string][] = [
    ['Descriptor (archive.json)', p.descriptor, p.descriptor ? 'archive.json' : 'streams are found by content'],
    ['Data files', report.dataFiles.length > 0, `${formatCount(report.dataFiles.length)} files`],
    ['Checkpoints', p.checkpoints, `${formatCount(c.total)} checkpoints`],
    ['Signatures (.sig)', p.signatures, `${formatCount(c.withSignature)} of ${formatCount(c.total)} checkpoints`],
    ['Timestamps (.tsr)', p.timestamps, `${formatCount(c.withTimestamp)} of ${formatCount(c.total)} checkpoints`],
    [
      'Object-store manifest',
      p.manifest,
      report.manifest.present ? `${report.manifest.path}, ${formatCount(report.manifest.entries)} entries` : '',
    ],
    ['Keys', p.keys, report.keys.join(', ')],
    [
      'Explanations',
      p.explanations,
      report.explanations.length ? `${formatCount(report.explanations.length)} files` : '',
    ],
  ];
  return (
    <DataTable
      caption="Files present"
      rows={rows}
      rowKey={([item]) => item}
      rowAttributes={([item]) => ({ 'data-item': item })}
      columns={[
        { header: 'Item', rowHeader: true, cell: ([item]) => item },
        { header: 'Status', cell: ([, present]) => <Presence present={present} /> },
        { header: 'Detail', cell: ([, , detail]) => detail || '–' },
      ]}
    />
  );
}

export function DataFilesTable({ report }: { report: Report }) {
  return (
    <details className="data-files">
      <summary>Data files ({formatCount(report.dataFiles.length)})</summary>
      <DataTable
        caption="Data files"
        rows={report.dataFiles}
        rowKey={(f) => f.path}
        columns={[
          { header: 'Path', rowHeader: true, cell: (f) => <code>{f.path}</code> },
          { header: 'Stream', cell: (f) => f.stream ?? '–' },
          { header: 'Format', cell: (f) => f.format ?? '–' },
          { header: 'Size', num: true, cell: (f) => formatBytes(f.size) },
          { header: 'Records', num: true, cell: (f) => formatCount(f.records) },
          { header: 'Errors', num: true, cell: (f) => formatCount(f.errors) },
        ]}
      />
    </details>
  );
}

export function ProblemsList({ report }: { report: Report }) {
  if (report.problems.length === 0 && report.warnings.length === 0) return null;
  return (
    <section aria-labelledby="problems-heading" className="problems">
      <h3 id="problems-heading">Problems and warnings</h3>
      <ul>
        {report.problems.map((p, i) => (
          <li key={`p${i}`} className="problem">
            {p.message}
          </li>
        ))}
        {report.warnings.map((w, i) => (
          <li key={`w${i}`} className="warning">
            {w}
          </li>
        ))}
      </ul>
    </section>
  );
}
