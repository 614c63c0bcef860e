/** The anomaly filters, registered explicitly (one file each), in the order reports list them. */
import { failedEvaluation } from './failed-evaluation.ts';
import { highLatency } from './high-latency.ts';
import { lowConfidence } from './low-confidence.ts';
import { overrideWithoutReason } from './override-without-reason.ts';
import { reviewNotDone } from './review-not-done.ts';
import { shortReviews } from './short-reviews.ts';
import type { AnomalyFilter } from './types.ts';
import { versionOutsideWindow } from './version-outside-window.ts';
import { volume } from './volume.ts';
import { AuditWsError } from '../../errors.ts';
import type { QueryContext } from '../context.ts';
import type { Page } from '../db.ts';
import type { DecisionFilters } from '../filters.ts';
import { runAnomaly } from './run.ts';
import type { AnomalyResult } from './types.ts';

export const ANOMALY_FILTERS: readonly AnomalyFilter[] = [
  lowConfidence,
  highLatency,
  reviewNotDone,
  overrideWithoutReason,
  shortReviews,
  versionOutsideWindow,
  failedEvaluation,
  volume,
];

export function anomalyFilter(id: string): AnomalyFilter {
  const f = ANOMALY_FILTERS.find((x) => x.id === id);
  if (!f)
    throw new AuditWsError(
      'BAD_USAGE',
      `unknown anomaly filter "${id}"; one of ${ANOMALY_FILTERS.map((x) => x.id).join(', ')}`,
    );
  return f;
}

export { runAnomaly, resolveParams } from './run.ts';
export type { AnomalyFilter, AnomalyResult, AnomalyItem, AnomalyParamSpec, ParamValue } from './types.ts';

/** Runs every filter (or the `only` ones) with its defaults, overridden per filter by `params[id]`. */
export async function runAnomalies(
  ctx: QueryContext,
  options: {
    only?: string[];
    params?: Record<string, Record<string, unknown>>;
    scope?: DecisionFilters;
    page?: Page;
  } = {},
): Promise<AnomalyResult[]> {
  const chosen = options.only && options.only.length > 0 ? options.only.map(anomalyFilter) : ANOMALY_FILTERS;
  for (const id of Object.keys(options.params ?? {})) anomalyFilter(id);
  const out: AnomalyResult[] = [];
  for (const f of chosen)
    out.push(await runAnomaly(ctx, f, options.params?.[f.id] ?? {}, options.scope ?? {}, options.page));
  return out;
}
