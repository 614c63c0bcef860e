/** Cover: which case, which archives and systems, what period, by whom, with which tool. */
import { RECORD_KINDS, TIME_MEMBERS, camelToSnake } from '../../archive/kinds.ts';
import type { RecordKind } from '../../archive/kinds.ts';
import { KIND_TABLES } from '../../case/evidence-schema.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../version.ts';
import type { ReportContext } from '../context.ts';
import { facts, fmtInt, fmtTime, html, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';

export interface CoverArchive {
  archive: string;
  container: string;
  system?: string;
  operator?: string;
  producer?: string;
  exportedAt?: string;
  dataFiles: number;
  records: number;
  bytes: number;
}

export interface CoverData {
  caseName: string;
  caseSlug: string;
  description?: string;
  caseCreatedAt: string;
  caseCreatedBy: string;
  investigator: string;
  generatedAt: string;
  tool: { name: string; version: string };
  scope: { kind: 'case' } | { kind: 'package'; decisions: number };
  archives: CoverArchive[];
  systems: string[];
  period: { from: string | null; to: string | null };
  records: Record<RecordKind, number>;
}

interface SourceRow {
  archive: string;
  container: string;
  role: string;
  size: number;
  records: number | null;
  content: Buffer | null;
}

export async function collectCover(ctx: ReportContext): Promise<CoverData> {
  const rows = ctx.handle.sqlite
    .prepare(
      `SELECT s.archive, s.container, s.role, s.size, s.records, CASE WHEN s.role = 'descriptor' THEN s.content END AS content
       FROM source_files s JOIN imports i ON i.id = s.import_id AND i.status = 'done' ORDER BY s.id`,
    )
    .all() as SourceRow[];
  const archives = new Map<string, CoverArchive>();
  for (const r of rows) {
    let a = archives.get(r.archive);
    if (!a) {
      a = { archive: r.archive, container: r.container, dataFiles: 0, records: 0, bytes: 0 };
      archives.set(r.archive, a);
    }
    if (r.role === 'data') {
      a.dataFiles++;
      a.records += r.records ?? 0;
    }
    if (r.role !== 'container') a.bytes += r.size;
    if (r.role === 'descriptor' && r.content) {
      try {
        const d = JSON.parse(Buffer.from(r.content).toString('utf8')) as {
          system?: { name?: unknown; operator?: unknown };
          producer?: { name?: unknown; version?: unknown };
          exportedAt?: unknown;
        };
        if (typeof d.system?.name === 'string') a.system = d.system.name;
        if (typeof d.system?.operator === 'string') a.operator = d.system.operator;
        if (typeof d.producer?.name === 'string')
          a.producer = `${d.producer.name}${typeof d.producer.version === 'string' ? ` ${d.producer.version}` : ''}`;
        if (typeof d.exportedAt === 'string') a.exportedAt = d.exportedAt;
      } catch {
        // an unreadable descriptor is a verification finding, not a cover fact
      }
    }
  }
  const counts = {} as Record<RecordKind, number>;
  const spans: string[] = [];
  for (const kind of RECORD_KINDS) {
    const t = camelToSnake(TIME_MEMBERS[kind]);
    spans.push(`SELECT '${kind}' AS kind, count(*) AS n, min(${t}) AS lo, max(${t}) AS hi FROM ${KIND_TABLES[kind]}`);
  }
  const r = await ctx.handle.duck.runAndReadAll(spans.join(' UNION ALL '));
  let from: string | null = null;
  let to: string | null = null;
  for (const [kind, n, lo, hi] of r.getRowsJS()) {
    counts[kind as RecordKind] = Number(n);
    if (kind !== 'decision') continue;
    if (lo) from = new Date(lo as Date).toISOString();
    if (hi) to = new Date(hi as Date).toISOString();
  }
  const systems = [
    ...new Set(
      [...archives.values()].map((a) => [a.system, a.operator].filter(Boolean).join(', ')).filter((s) => s !== ''),
    ),
  ];
  const data: CoverData = {
    caseName: ctx.info.name,
    caseSlug: ctx.info.slug,
    caseCreatedAt: ctx.info.createdAt,
    caseCreatedBy: ctx.info.createdBy,
    investigator: ctx.options.investigator ?? ctx.handle.actor,
    generatedAt: (ctx.options.now ?? new Date()).toISOString(),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scope: ctx.scope ? { kind: 'package', decisions: ctx.scope.size } : { kind: 'case' },
    archives: [...archives.values()],
    systems,
    period: { from, to },
    records: counts,
  };
  if (ctx.info.description) data.description = ctx.info.description;
  return data;
}

export function renderCover(c: CoverData): Html {
  return html`<section class="cover">
    <p class="kicker">AI audit report</p>
    <h1>${c.caseName}</h1>
    ${c.description ? html`<p class="lead">${c.description}</p>` : ''}
    ${c.scope.kind === 'package' ? html`<p class="scope">Evidence package report: record-level sections cover the ${fmtInt(c.scope.decisions)} selected decisions only; aggregates cover the whole case.</p>` : ''}
    ${facts([
      ['Systems', c.systems.length ? c.systems.join('; ') : 'not named by the archives'],
      ['Period of the decisions', `${fmtTime(c.period.from)} to ${fmtTime(c.period.to)}`],
      [
        'Records',
        `${fmtInt(c.records.decision)} decisions, ${fmtInt(c.records.review)} review events, ${fmtInt(c.records.outcome)} outcomes, ${fmtInt(c.records.lifecycle)} lifecycle events`,
      ],
      ['Investigator', c.investigator],
      ['Report generated', fmtTime(c.generatedAt)],
      ['Tool', `${c.tool.name} ${c.tool.version}`],
      ['Case', `${c.caseSlug}, opened ${fmtTime(c.caseCreatedAt)} by ${c.caseCreatedBy}`],
    ])}
    <h3>Archives examined</h3>
    ${table(
      [
        { head: 'Archive', cell: (a) => a.archive, cls: 'wrap' },
        { head: 'System', cell: (a) => [a.system, a.operator].filter(Boolean).join(', ') || '–' },
        { head: 'Producer', cell: (a) => a.producer ?? '–' },
        { head: 'Exported', cell: (a) => fmtTime(a.exportedAt) },
        { head: 'Data files', cell: (a) => fmtInt(a.dataFiles), cls: 'num' },
        { head: 'Records', cell: (a) => fmtInt(a.records), cls: 'num' },
      ],
      c.archives,
      { empty: 'No archive has been imported into this case.' },
    )}
  </section>`;
}
