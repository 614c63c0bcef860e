/**
 * The investigation queries, registered explicitly: one file each (SQL, parameter type, result type,
 * docs/queries/<name>.md). The CLI, the contract handlers and the report call them through their own
 * modules; this registry lists what exists, for help texts and documentation checks.
 */
export { anomalyFilter, ANOMALY_FILTERS, runAnomalies, runAnomaly } from './anomalies/index.ts';
export type { AnomalyFilter, AnomalyItem, AnomalyParamSpec, AnomalyResult } from './anomalies/index.ts';
export { queryContext } from './context.ts';
export type { CaseConnections, QueryContext } from './context.ts';
export { fairness } from './fairness.ts';
export type { FairnessParams, FairnessResult } from './fairness.ts';
export { DECISION_FILTER_KEYS } from './filters.ts';
export type { DecisionFilters } from './filters.ts';
export { inputMatch } from './input-match.ts';
export type { InputMatchParams, InputMatchResult } from './input-match.ts';
export { buildLookups } from './lookups.ts';
export { oversight } from './oversight.ts';
export type { OversightParams, OversightResult } from './oversight.ts';
export { search } from './search.ts';
export type { SearchParams, SearchResult } from './search.ts';
export { timeline } from './timeline.ts';
export type { TimelineParams, TimelineResult } from './timeline.ts';

export interface QueryInfo {
  name: string;
  description: string;
  /** docs/queries/<doc> */
  doc: string;
}

export const QUERIES: readonly QueryInfo[] = [
  {
    name: 'timeline',
    description:
      'every event of a decision, trace or review task in time order, with model state, reviews, outcome and integrity',
    doc: 'timeline.md',
  },
  {
    name: 'search',
    description: 'decisions by filters and free text over ids, paged and sorted, with facet counts and histograms',
    doc: 'search.md',
  },
  { name: 'anomalies', description: 'the anomaly filters, each parameterised, with paged hits', doc: 'anomalies.md' },
  {
    name: 'oversight',
    description: 'review, override and escalation rates and review times, per reviewer, model version and period',
    doc: 'oversight.md',
  },
  {
    name: 'fairness',
    description: 'selection rates and error rates per group of one attribute, against a reference group',
    doc: 'fairness.md',
  },
  {
    name: 'input-match',
    description: "a raw input checked against a decision's inputHash under the producer's rule",
    doc: 'input-match.md',
  },
];
