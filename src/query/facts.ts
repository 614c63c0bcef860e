/**
 * Per-decision facts for fairness, kept with the lookup tables (lookups.ts): row for row with the
 * decisions (read beside them by POSITIONAL JOIN, the rowid checked on every row), each decision's
 * week, its (modelId, modelVersion) and the values fairness compares (the prediction, the final
 * decision after a human override, the latest outcome) as small integer codes into two dictionaries,
 * and whether it was reviewed and overridden. Counting per group then groups integers instead of
 * comparing and hashing text on ten million rows.
 *
 * The codes stand for the values exactly (one code per distinct text, compared as DuckDB compares
 * text), so a count over codes is the count over the text. Built only when the values are few (at most
 * MAX_FACT_VALUES distinct); free-text predictions leave fairness comparing the text itself.
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';

export const DECISION_FACTS = 'lookup_decision_facts';
/** (code, model_id, model_version) of every pair the decisions hold, nulls included. */
export const FACT_MODELS = 'lookup_fact_models';
/** (code, value) of every prediction, human decision and outcome text. */
export const FACT_VALUES = 'lookup_fact_values';
export const MAX_FACT_VALUES = 100_000;

const D = KIND_TABLES.decision;
const O = KIND_TABLES.outcome;

/**
 * The week of a decision `x` as a whole number: weeks start on Monday and are computed from epoch days
 * (1970-01-01 was a Thursday), not by time-zone rules. Null without a time.
 */
export function weekSql(x: string): string {
  return `floor((epoch_us(${x}."timestamp") / 86400000000 + 3) / 7)::BIGINT`;
}

/** The decision `x` as its final decision: the human's where a human overrode it, else the model's. */
export function finalDecisionSql(x: string): string {
  return `CASE WHEN ${x}.human_override AND ${x}.human_decision IS NOT NULL THEN ${x}.human_decision ELSE ${x}.prediction END`;
}

/** Each decision's latest outcome (by observedAt): `(decision_id, outcome)`. */
export const LATEST_OUTCOME_SQL = `SELECT decision_id, arg_max(outcome, observed_at) AS outcome FROM ${O} WHERE decision_id IS NOT NULL GROUP BY decision_id`;

const VALUES_SQL = `SELECT prediction AS v FROM ${D} UNION ALL SELECT human_decision FROM ${D} UNION ALL SELECT outcome FROM ${O}`;

/** About how many distinct values FACT_VALUES would hold (HyperLogLog, one pass). */
export function factValueCountSql(): string {
  return `SELECT approx_count_distinct(v) AS "values" FROM (${VALUES_SQL})`;
}

export function factValuesSql(): string {
  return `SELECT (row_number() OVER (ORDER BY v) - 1)::INTEGER AS code, v AS value
    FROM (SELECT DISTINCT v FROM (${VALUES_SQL}) WHERE v IS NOT NULL)`;
}

export function factModelsSql(): string {
  return `SELECT (row_number() OVER (ORDER BY model_id NULLS FIRST, model_version NULLS FIRST) - 1)::INTEGER AS code, model_id, model_version
    FROM (SELECT DISTINCT model_id, model_version FROM ${D})`;
}

/** The facts, in the decisions' row order (made after FACT_VALUES and FACT_MODELS). */
export function factsSql(): string {
  return `SELECT x.rowid AS rid, ${weekSql('x')} AS wk, m.code AS mv, p.code AS pred, fc.code AS fin, oc.code AS oc,
      coalesce(x.human_reviewed, false) AS rv, coalesce(x.human_override, false) AS ov
    FROM ${D} x
    LEFT JOIN (${LATEST_OUTCOME_SQL}) o ON o.decision_id = x.decision_id
    LEFT JOIN ${FACT_MODELS} m ON m.model_id IS NOT DISTINCT FROM x.model_id AND m.model_version IS NOT DISTINCT FROM x.model_version
    LEFT JOIN ${FACT_VALUES} p ON p.value = x.prediction
    LEFT JOIN ${FACT_VALUES} fc ON fc.value = ${finalDecisionSql('x')}
    LEFT JOIN ${FACT_VALUES} oc ON oc.value = o.outcome
    ORDER BY x.rowid`;
}
