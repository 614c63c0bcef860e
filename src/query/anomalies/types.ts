/**
 * The shape every anomaly filter has: an id, one sentence saying what it flags, typed parameters with
 * documented defaults, and the SQL that selects the flagged rows. The runner (run.ts) pages, sorts,
 * summarises and judges integrity the same way for all of them.
 */
import type { QueryContext } from '../context.ts';
import type { Json, SqlParams } from '../db.ts';
import type { DecisionFilters } from '../filters.ts';
import type { IntegrityStatus, IntegritySummary, Integrity, RowRef } from '../integrity.ts';

export type ParamValue = number | string | boolean | null;

export interface AnomalyParamSpec {
  name: string;
  description: string;
  type: 'number' | 'string';
  default: ParamValue;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly string[];
}

/**
 * The flagged rows as SQL. The SELECT must give `ref_table` and the reference columns
 * (integrity.ts refColumnsSql), `sort_key` (what items are ordered by), and the item's own columns
 * under camelCase names; `summaryBy` names item columns to count the hits by.
 */
export interface FlaggedSql {
  sql: string;
  params: SqlParams;
  summaryBy: string[];
  /**
   * For decision hits found on a few columns (common.ts decisionHits): `sql` selects `rid` (the
   * decision's rowid) and the hit's own columns `extras`; the runner then reads the item columns of
   * those decisions only.
   */
  hits?: { sql: string; extras: readonly string[] };
}

export interface AnomalyFilter {
  id: string;
  title: string;
  /** One sentence: what is flagged and why it matters. */
  explanation: string;
  /** What one hit is. */
  subject: 'decision' | 'review' | 'decision-or-review' | 'hour';
  params: readonly AnomalyParamSpec[];
  /** The flagged rows, within the decisions `scope` selects. */
  flagged(ctx: QueryContext, params: Record<string, ParamValue>, scope: DecisionFilters): FlaggedSql;
  /** One line for a hit, from its item columns and the resolved parameters. */
  describe(item: Record<string, Json>, params: Record<string, ParamValue>): string;
}

export interface AnomalyItem {
  reason: string;
  /** The hit's own columns (ids, times, values that made it a hit). */
  item: Record<string, Json>;
  ref: RowRef | null;
  integrity: Integrity | null;
}

export interface AnomalyResult {
  id: string;
  title: string;
  explanation: string;
  /** The parameters used, defaults filled in. */
  params: Record<string, ParamValue>;
  total: number;
  offset: number;
  limit: number;
  items: AnomalyItem[];
  /** Hits counted by the filter's summary columns, largest first (at most 100 rows). */
  summary: Record<string, Json>[];
  /** Integrity of the flagged rows (for hour hits: of the decisions in the scope). */
  integrity: IntegritySummary;
  ms: number;
}

export type { IntegrityStatus };
