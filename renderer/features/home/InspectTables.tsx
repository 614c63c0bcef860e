import type { ReactNode } from 'react';
import type { Report } from '../../store/index.ts';
import { formatBytes, formatCount, formatCountMap } from '../../format.ts';

const KIND_ORDER = ['decision', 'lifecycle', 'review', 'outcome', 'unknown'];

function Presence({ present }: { present: boolean }) {
  return <span className={present ? 'present' : 'absent'}>{present ? '✓ present' : '– absent'}</span>;
}

/** A captioned table; columns named in `numeric` are right-aligned, header included, so digits line up. */
function Table(props: { caption: string; head: string[]; numeric?: string[]; children: ReactNode }) {
  const { caption, head, numeric = [], children } = props;
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className={numeric.includes(h) ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
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
  return (
    <div className="table-wrap">
      <table className="key-value">
        <caption>Archive</caption>
        <tbody>
          {rows.map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function StreamsTable({ report }: { report: Report }) {
  return (
    <Table
      caption="Streams"
      head={['Stream', 'Kind', 'Records', 'Chained', 'Seq range', 'Dialects', 'Files', 'Checkpoints']}
      numeric={['Records', 'Chained', 'Seq range', 'Files', 'Checkpoints']}
    >
      {report.streams.map((s) => (
        <tr key={s.name} data-stream={s.name}>
          <th scope="row">
            {s.name}
            {!s.declared && <span className="muted"> (found by content)</span>}
          </th>
          <td>{s.kind ?? '?'}</td>
          <td className="num" data-col="records">
            {formatCount(s.records)}
          </td>
          <td className="num" data-col="chained">
            {formatCount(s.chained)}
          </td>
          <td className="num">{s.firstSeq !== undefined ? `${s.firstSeq}–${s.lastSeq}` : '–'}</td>
          <td>{formatCountMap(s.byDialect)}</td>
          <td className="num">{formatCount(s.files.length)}</td>
          <td className="num" data-col="checkpoints">
            {formatCount(s.checkpoints)}
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function KindsTable({ report }: { report: Report }) {
  const byKind = report.records.byKind as Partial<Record<string, number>>;
  const kinds = Object.keys(byKind).sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b));
  return (
    <Table caption="Records by kind" head={['Kind', 'Records']} numeric={['Records']}>
      {kinds.map((kind) => (
        <tr key={kind} data-kind={kind}>
          <th scope="row">{kind}</th>
          <td className="num" data-col="records">
            {formatCount(byKind[kind])}
          </td>
        </tr>
      ))}
      <tr className="total">
        <th scope="row">total</th>
        <td className="num" data-col="records">
          {formatCount(report.records.total)}
        </td>
      </tr>
    </Table>
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
    <Table caption="Files present" head={['Item', 'Status', 'Detail']}>
      {rows.map(([item, present, detail]) => (
        <tr key={item} data-item={item}>
          <th scope="row">{item}</th>
          <td>
            <Presence present={present} />
          </td>
          <td>{detail || '–'}</td>
        </tr>
      ))}
    </Table>
  );
}

export function DataFilesTable({ report }: { report: Report }) {
  return (
    <details className="data-files">
      <summary>Data files ({formatCount(report.dataFiles.length)})</summary>
      <Table
        caption="Data files"
        head={['Path', 'Stream', 'Format', 'Size', 'Records', 'Errors']}
        numeric={['Size', 'Records', 'Errors']}
      >
        {report.dataFiles.map((f) => (
          <tr key={f.path}>
            <th scope="row">
              <code>{f.path}</code>
            </th>
            <td>{f.stream ?? '–'}</td>
            <td>{f.format ?? '–'}</td>
            <td className="num">{formatBytes(f.size)}</td>
            <td className="num">{formatCount(f.records)}</td>
            <td className="num">{formatCount(f.errors)}</td>
          </tr>
        ))}
      </Table>
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
