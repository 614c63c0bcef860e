/**
 * Builds the ReportData of a case: every section's facts, collected in dependency order from the case
 * and from the investigation queries. The HTML, the PDF and findings.json are all rendered from this
 * one object, so they cannot disagree.
 */
import canonicalize from 'canonicalize';
import { dropNullMembers, sha256Hex } from '../archive/canonical.ts';
import type { CaseHandle } from '../case/store.ts';
import { identifiersOfDecisions } from '../package/from-case.ts';
import { queryContext } from '../query/context.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import type { ReportContext, ReportOptions } from './context.ts';
import { collectAnnotations } from './sections/annotations.ts';
import type { AnnotationsData } from './sections/annotations.ts';
import { collectAnomalies } from './sections/anomalies.ts';
import type { AnomaliesData } from './sections/anomalies.ts';
import { collectAppendix } from './sections/appendix.ts';
import type { AppendixData } from './sections/appendix.ts';
import { collectCover } from './sections/cover.ts';
import type { CoverData } from './sections/cover.ts';
import { collectFairness } from './sections/fairness.ts';
import type { FairnessData } from './sections/fairness.ts';
import { collectIntegrity } from './sections/integrity.ts';
import type { IntegrityData } from './sections/integrity.ts';
import { collectMethodology } from './sections/methodology.ts';
import type { MethodologyData } from './sections/methodology.ts';
import { collectOversight } from './sections/oversight.ts';
import type { OversightData } from './sections/oversight.ts';
import { collectRecordKeeping } from './sections/record-keeping.ts';
import type { RecordKeepingData } from './sections/record-keeping.ts';
import { collectSummary } from './sections/summary.ts';
import type { SummaryData } from './sections/summary.ts';
import { collectTimelines } from './sections/timelines.ts';
import type { TimelinesData } from './sections/timelines.ts';

export const REPORT_FORMAT = 'audit-ws-report';

export interface ReportData {
  format: typeof REPORT_FORMAT;
  formatVersion: '1.0';
  generatedAt: string;
  tool: { name: string; version: string };
  cover: CoverData;
  summary: SummaryData;
  integrity: IntegrityData;
  recordKeeping: RecordKeepingData;
  oversight: OversightData;
  anomalies: AnomaliesData;
  fairness: FairnessData;
  timelines: TimelinesData;
  annotations: AnnotationsData;
  methodology: MethodologyData;
  appendix: AppendixData;
}

/** The digest the appendix quotes: jcs-sha256-v1 over the data without appendix.reportDataSha256. */
export function reportDataSha256(data: ReportData): string {
  const plain = JSON.parse(JSON.stringify(data)) as { appendix: Record<string, unknown> };
  delete plain.appendix.reportDataSha256;
  const text = canonicalize(dropNullMembers(plain) as Parameters<typeof canonicalize>[0]);
  return sha256Hex(text ?? '');
}

export async function assembleReportData(handle: CaseHandle, options: ReportOptions = {}): Promise<ReportData> {
  const ctx: ReportContext = {
    handle,
    query: await queryContext(handle),
    info: handle.info(),
    options,
    maxRows: options.maxRows ?? 25,
  };
  if (options.decisionIds) {
    ctx.scope = new Set(options.decisionIds);
    ctx.disclosed = await identifiersOfDecisions(handle, options.decisionIds);
  }
  const cover = await collectCover(ctx);
  const integrity = await collectIntegrity(ctx);
  const recordKeeping = await collectRecordKeeping(ctx, cover, integrity);
  const oversight = await collectOversight(ctx);
  const anomalies = await collectAnomalies(ctx);
  const fairness = await collectFairness(ctx);
  const annotations: AnnotationsData = collectAnnotations(ctx);
  const timelines = await collectTimelines(ctx, annotations, anomalies);
  const methodology = collectMethodology(ctx, anomalies);
  const appendix = await collectAppendix(ctx);
  const summary = collectSummary({ cover, integrity, recordKeeping, oversight, anomalies, fairness, appendix });
  const data: ReportData = {
    format: REPORT_FORMAT,
    formatVersion: '1.0',
    generatedAt: cover.generatedAt,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    cover,
    summary,
    integrity,
    recordKeeping,
    oversight,
    anomalies,
    fairness,
    timelines,
    annotations,
    methodology,
    appendix,
  };
  // A JSON round trip first, so the digest covers exactly what findings.json will hold.
  const plain = JSON.parse(JSON.stringify(data)) as ReportData;
  plain.appendix.reportDataSha256 = reportDataSha256(plain);
  return plain;
}
