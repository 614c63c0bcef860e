/**
 * The report's tables as CSV-ready rows, taken from the report data (the same facts the PDF shows,
 * with full precision instead of rounded display values).
 */
import type { ReportData } from './assemble.ts';
import { fairnessTables } from './sections/fairness.ts';
import { oversightTables } from './sections/oversight.ts';

export interface ReportTable {
  name: string;
  description: string;
  columns: string[];
  rows: unknown[][];
}

export function reportTables(d: ReportData): ReportTable[] {
  const t: ReportTable[] = [
    {
      name: 'record-keeping',
      description: 'Share of decisions in which each decision-log member is present, with its Article 12(2) purposes',
      columns: ['member', 'required', 'purposes', 'present', 'decisions', 'share'],
      rows: d.recordKeeping.fields.map((f) => [f.member, f.required, f.purposes.join(' '), f.present, d.recordKeeping.decisions, f.share]),
    },
    {
      name: 'checks',
      description: 'Verification checks of the latest run with their counts',
      columns: ['check', 'title', 'pass', 'fail', 'warn', 'unverifiable'],
      rows: d.integrity.checks.map((c) => [c.id, c.title, c.pass, c.fail, c.warn, c.unverifiable]),
    },
    {
      name: 'streams',
      description: 'Verdict and checkpoint coverage per stream',
      columns: ['stream', 'kind', 'verdict', 'records', 'firstSeq', 'lastSeq', 'checkpoints', 'anchoredRecords', 'anchoredShare', 'reason'],
      rows: d.integrity.streams.map((s) => [s.name, s.kind ?? null, s.verdict, s.records, s.firstSeq ?? null, s.lastSeq ?? null, s.checkpoints, s.anchoredRecords, s.anchoredShare, s.reason]),
    },
    {
      name: 'checkpoints',
      description: 'Checkpoints with their status, signer key and RFC 3161 time-stamp',
      columns: ['stream', 'label', 'path', 'firstSeq', 'lastSeq', 'count', 'status', 'signed', 'signerKeySha256', 'signerPinned', 'timestamped', 'genTime', 'tsa', 'findings'],
      rows: d.integrity.checkpoints.map((c) => [
        c.stream, c.label, c.path, c.firstSeq ?? null, c.lastSeq ?? null, c.count ?? null, c.status, c.signed, c.signerKey ?? null,
        c.signerPinned ?? null, c.timestamped, c.genTime ?? null, c.tsa ?? null, c.findings.join(' | '),
      ]),
    },
    {
      name: 'findings',
      description: 'Findings (other than passes) of the latest verification run listed in the report, worst first',
      columns: ['status', 'check', 'category', 'stream', 'seq', 'seqEnd', 'file', 'line', 'row', 'message'],
      rows: d.integrity.findings.listed.map((f) => [f.status, f.check, f.category ?? null, f.stream ?? null, f.seq ?? null, f.seqEnd ?? null, f.file ?? null, f.line ?? null, f.row ?? null, f.message]),
    },
    {
      name: 'anomalies',
      description: 'Anomaly filters with their parameters and hit counts',
      columns: ['filter', 'title', 'parameters', 'hits', 'integrity'],
      rows: d.anomalies.results.map((r) => [r.id, r.title, r.params, r.total, r.integrity.status]),
    },
    {
      name: 'anomaly-hits',
      description: 'The anomaly hits listed in the report (the first page of each filter)',
      columns: ['filter', 'at', 'decisionId', 'eventId', 'reason', 'sourceFile', 'line', 'row', 'stream', 'seq', 'integrity'],
      rows: d.anomalies.results.flatMap((r) =>
        r.items.map((i) => [
          r.id, i.item.at ?? null, i.item.decisionId ?? null, i.item.eventId ?? null, i.reason, i.ref?.sourceFile ?? null, i.ref?.line ?? null, i.ref?.row ?? null,
          i.ref?.stream ?? null, i.ref?.seq ?? null, i.integrity?.status ?? null,
        ]),
      ),
    },
    ...oversightTables(d.oversight),
    ...fairnessTables(d.fairness),
    {
      name: 'timelines',
      description: 'Events of the selected decision timelines in time order',
      columns: ['subject', 'at', 'kind', 'type', 'decisionId', 'summary', 'sourceFile', 'line', 'stream', 'seq', 'integrity'],
      rows: d.timelines.timelines.flatMap((tl) =>
        tl.events.map((e) => [tl.subject.id, e.at, e.kind, e.type, e.decisionId, e.summary, e.ref?.sourceFile ?? null, e.ref?.line ?? null, e.ref?.stream ?? null, e.ref?.seq ?? null, e.integrity.status]),
      ),
    },
    {
      name: 'annotations',
      description: "The investigator's annotations shown in the report",
      columns: ['id', 'target', 'starred', 'text', 'tags', 'actor', 'createdAt'],
      rows: d.annotations.listed.map((a) => [a.id, a.target, a.starred, a.text, a.tags.join(' '), a.actor, a.createdAt]),
    },
    {
      name: 'input-files',
      description: 'Every input file of the case with its SHA-256',
      columns: ['archive', 'path', 'role', 'size', 'sha256'],
      rows: d.appendix.inputFiles.map((f) => [f.archive, f.path, f.role, f.size, f.sha256]),
    },
    {
      name: 'custody',
      description: 'The custody log (details withheld where they name records outside an evidence package)',
      columns: ['seq', 'at', 'actor', 'action', 'details', 'prevHash', 'hash'],
      rows: d.appendix.custody.entries.map((e) => [e.seq, e.at, e.actor, e.action, e.details ?? `(withheld: ${e.detailsWithheld})`, e.prevHash, e.hash]),
    },
  ];
  return t;
}
