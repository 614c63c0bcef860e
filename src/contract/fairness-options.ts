/**
 * What the fairness screen offers to choose from, read from the case: the attributes decisions carry
 * (inputFeatures and contextData members seen in a sample, and the decision's own text members), and the
 * prediction and outcome values with their counts, so the investigator picks instead of guessing spellings.
 */
import type { CaseHandle } from '../case/store.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { queryRows } from './rows.ts';

export interface FairnessOptions {
  attributes: { name: string; distinct: number; examples: string[] }[];
  predictions: { value: string; count: number }[];
  /** Each model with its prediction values: fairness is usually asked of one model's decisions. */
  models: { modelId: string; decisions: number; predictions: string[] }[];
  outcomes: { value: string; count: number }[];
  decisions: number;
}

const SAMPLE = 20_000;
/** More distinct values than this is not a grouping attribute (an amount, a free text). */
const MAX_GROUPS = 50;
const MEMBER_ATTRIBUTES = [
  'riskTier',
  'consequenceLevel',
  'environment',
  'decisionCategory',
  'modelId',
  'modelVersion',
];
const COLUMN: Record<string, string> = {
  riskTier: 'risk_tier',
  consequenceLevel: 'consequence_level',
  environment: 'environment',
  decisionCategory: 'decision_category',
  modelId: 'model_id',
  modelVersion: 'model_version',
};

export async function fairnessOptions(handle: CaseHandle): Promise<FairnessOptions> {
  const D = KIND_TABLES.decision;
  const O = KIND_TABLES.outcome;
  const [{ n }] = await queryRows(handle.duck, `SELECT count(*) AS n FROM ${D}`);
  const keys = await queryRows(
    handle.duck,
    `WITH s AS (SELECT input_features, context_data FROM ${D} USING SAMPLE ${SAMPLE} ROWS),
     k AS (
       SELECT 'inputFeatures.' || k AS name, json_extract_string(input_features, '$."' || k || '"') AS v
         FROM s, unnest(json_keys(input_features)) t(k) WHERE json_type(input_features) = 'OBJECT'
       UNION ALL
       SELECT 'contextData.' || k, json_extract_string(context_data, '$."' || k || '"')
         FROM s, unnest(json_keys(context_data)) t(k) WHERE json_type(context_data) = 'OBJECT'
     )
     SELECT name, count(DISTINCT v) AS distinct_values, list(DISTINCT v ORDER BY v)[1:5] AS examples
     FROM k GROUP BY name ORDER BY name`,
  );
  const attributes: FairnessOptions['attributes'] = keys.map((r) => ({
    name: String(r.name),
    distinct: Number(r.distinct_values),
    examples: Array.isArray(r.examples) ? r.examples.map(String) : [],
  }));
  for (const member of MEMBER_ATTRIBUTES) {
    const [r] = await queryRows(
      handle.duck,
      `SELECT count(DISTINCT ${COLUMN[member]}) AS d, list(DISTINCT ${COLUMN[member]} ORDER BY ${COLUMN[member]})[1:5] AS ex FROM (SELECT ${COLUMN[member]} FROM ${D} USING SAMPLE ${SAMPLE} ROWS)`,
    );
    attributes.push({ name: member, distinct: Number(r.d), examples: Array.isArray(r.ex) ? r.ex.map(String) : [] });
  }
  const predictions = await queryRows(
    handle.duck,
    `SELECT prediction AS value, count(*) AS n FROM ${D} WHERE prediction IS NOT NULL AND NOT starts_with(prediction, '{')
     GROUP BY 1 ORDER BY n DESC LIMIT 50`,
  );
  const outcomes = await queryRows(
    handle.duck,
    `SELECT outcome AS value, count(*) AS n FROM ${O} WHERE outcome IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 50`,
  );
  const models = await queryRows(
    handle.duck,
    `SELECT model_id, count(*) AS n,
       list(DISTINCT prediction ORDER BY prediction) FILTER (WHERE prediction IS NOT NULL AND NOT starts_with(prediction, '{'))[1:50] AS p
     FROM ${D} WHERE model_id IS NOT NULL GROUP BY model_id ORDER BY model_id`,
  );
  return {
    models: models.map((r) => ({
      modelId: String(r.model_id),
      decisions: Number(r.n),
      predictions: Array.isArray(r.p) ? r.p.map(String) : [],
    })),
    // Attributes with one value, or nearly a value per decision (ids, amounts), cannot form groups.
    attributes: attributes.filter((a) => a.distinct > 1 && a.distinct <= MAX_GROUPS && !/Id$/.test(a.name)),
    predictions: predictions.map((r) => ({ value: String(r.value), count: Number(r.n) })),
    outcomes: outcomes.map((r) => ({ value: String(r.value), count: Number(r.n) })),
    decisions: Number(n),
  };
}
