/**
 * What every report section reads from: the open case (evidence and bookkeeping), the query context
 * the investigation queries run in, and the options the investigator chose. In package scope the
 * sections list only the selected decisions at record level (timelines, anomaly hits, annotations,
 * custody details); aggregates over the whole case stay, since they disclose no record.
 */
import type { CaseHandle, CaseInfo } from '../case/store.ts';
import { redactExplanations } from '../package/from-case.ts';
import type { QueryContext } from '../query/context.ts';

export interface FairnessRequest {
  /** Member of inputFeatures or contextData, e.g. "inputFeatures.group". */
  attribute: string;
  positivePrediction: string;
  positiveOutcome?: string;
  reference?: string;
  minGroup?: number;
  modelId?: string;
}

export interface ReportOptions {
  /** Who the report is by (default: the case handle's actor). */
  investigator?: string;
  /** Package scope: only these decisions appear at record level. */
  decisionIds?: string[];
  /** Fairness analyses to include; none: the section says how to ask for one. */
  fairness?: FairnessRequest[];
  /** Decisions whose timelines are shown (default: starred / annotated decisions, then anomaly hits). */
  timelines?: string[];
  /** Most timelines shown (default 5; in package scope 20). */
  maxTimelines?: number;
  /** Most rows a record-level table lists before saying how many more there are (default 25). */
  maxRows?: number;
  now?: Date;
}

export interface ReportContext {
  handle: CaseHandle;
  query: QueryContext;
  info: CaseInfo;
  options: ReportOptions;
  /** The selected decisions in package scope, else undefined (the whole case). */
  scope?: ReadonlySet<string>;
  /** Package scope: every identifier the package discloses (its decisions', their traces', reviews', explanations'). */
  disclosed?: ReadonlySet<string>;
  maxRows: number;
}

/** Text as the report may show it: in package scope, explanation file names of other decisions withheld. */
export function shown(ctx: ReportContext, text: string): string {
  return ctx.disclosed ? redactExplanations(text, ctx.disclosed) : text;
}

/** True when a record-level row may be listed: always for the whole case, only selected decisions in package scope. */
export function inScope(ctx: ReportContext, decisionId: string | null | undefined): boolean {
  return ctx.scope === undefined || (decisionId !== null && decisionId !== undefined && ctx.scope.has(decisionId));
}
