/**
 * Text parameters (`--param key=value`) turned into the investigation queries' typed parameters: the
 * shared decision filters (src/query/filters.ts) and numbers. Lists are comma-separated; booleans are
 * true or false.
 */
import { AuditWsError } from '../errors.ts';
import { DECISION_FILTER_KEYS } from '../query/filters.ts';
import type { DecisionFilters } from '../query/filters.ts';
import type { ExportParamSpec } from './exporter.ts';

const LIST_KEYS = new Set([
  'modelId',
  'modelVersion',
  'riskTier',
  'consequenceLevel',
  'environment',
  'decisionCategory',
  'reviewerId',
  'eventType',
]);
const BOOLEAN_KEYS = new Set(['humanReviewRequired', 'humanReviewed', 'humanOverride']);

/** The decision filters every query shares, as exporter parameters. */
export const FILTER_PARAMS: readonly ExportParamSpec[] = DECISION_FILTER_KEYS.map((k) => ({
  name: k,
  description: LIST_KEYS.has(k)
    ? 'decision filter (comma-separated values)'
    : BOOLEAN_KEYS.has(k)
      ? 'decision filter: true or false'
      : k === 'from' || k === 'to'
        ? 'decision time filter (ISO 8601)'
        : 'decision filter',
}));

export function filtersFromParams(exporter: string, params: Readonly<Record<string, string>>): DecisionFilters {
  const out: Record<string, unknown> = {};
  for (const k of DECISION_FILTER_KEYS) {
    const v = params[k];
    if (v === undefined || v === '') continue;
    if (LIST_KEYS.has(k))
      out[k] = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    else if (BOOLEAN_KEYS.has(k)) {
      if (v !== 'true' && v !== 'false')
        throw new AuditWsError('BAD_USAGE', `export ${exporter}: ${k} must be true or false, not "${v}"`);
      out[k] = v === 'true';
    } else out[k] = v;
  }
  return out as DecisionFilters;
}
