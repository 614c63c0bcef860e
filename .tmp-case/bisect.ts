import { DuckDBInstance } from '@duckdb/node-api';
import { parsedSql } from '../src/import/record-sql.ts';
import { jsonlLinesSql } from '../src/import/source-sql.ts';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '2GB' });
const c = await inst.connect(); await c.run("SET TimeZone='UTC'");
const file = '/tmp/case-scratch/a.jsonl';
const input = jsonlLinesSql([file], [200000], '\\n', false);
const ctx = { fileKind: 'decision' as const, declaredStreams: new Map(), importId: 1, files: [{ sourceFileId: 1, sourceFile: 'x' }] };
const struct = JSON.stringify({ traceId: 'JSON', decisionId: 'JSON', decision_id: 'JSON', confidence: 'JSON', inputFeatures: 'JSON' });
const tests: Record<string, string> = {
  scan: `SELECT count(*) FROM (${input})`,
  transform5: `SELECT count(*) FROM (${input}) WHERE json_transform(raw, '${struct}') IS NOT NULL`,
  tryTransform5: `SELECT count(*) FROM (${input}) WHERE try(json_transform(raw, '${struct}')) IS NOT NULL`,
  keys: `SELECT sum(len(json_keys(raw))) FROM (${input})`,
  tryKeys: `SELECT sum(len(try(json_keys(raw)))) FROM (${input})`,
  distinct: `SELECT sum(len(list_distinct(json_keys(raw)))) FROM (${input})`,
  regex: `SELECT count(*) FROM (${input}) WHERE regexp_matches(raw, '(?i)nan|inf|,\\s*[}\\]]')`,
  hasany: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE list_has_any(k, ['observedAt','observed_at']::VARCHAR[]) OR list_has_any(k, ['reviewerId','reviewer_id']::VARCHAR[]) OR list_has_any(k, ['x','y']::VARCHAR[]) OR list_has_any(k, ['z','w']::VARCHAR[])`,
  hasany1: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE list_has_any(k, ['observedAt','observed_at']::VARCHAR[])`,
  contains1: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE list_contains(k, 'observedAt')`,
  extraFilter: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE len(list_filter(k, lambda n: NOT list_contains(['traceId','trace_id','decisionId','decision_id','timestamp','modelId','model_id','modelVersion','model_version','modelChecksum','model_checksum','riskTier','risk_tier','inputHash','input_hash','inputFeatures','input_features','featureStoreVersion','feature_store_version','contextData','context_data','prediction','confidence','alternativePredictions','alternative_predictions','explanationRef','explanation_ref','humanReviewRequired','human_review_required','humanReviewed','human_reviewed','humanOverride','human_override','humanReviewerId','human_reviewer_id','humanDecision','human_decision','overrideReason','override_reason','affectedUserId','affected_user_id','decisionCategory','decision_category','consequenceLevel','consequence_level','latencyMs','latency_ms','tokenUsage','token_usage','environment','taskId','task_id','promptVersion','prompt_version','stream','seq','prevHash','prev_hash','hash']::VARCHAR[], n))) > 0`,
  extraHasAll: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE NOT list_has_all(['traceId','trace_id','decisionId','decision_id','timestamp','modelId','model_id','modelVersion','model_version','modelChecksum','model_checksum','riskTier','risk_tier','inputHash','input_hash','inputFeatures','input_features','featureStoreVersion','feature_store_version','contextData','context_data','prediction','confidence','alternativePredictions','alternative_predictions','explanationRef','explanation_ref','humanReviewRequired','human_review_required','humanReviewed','human_reviewed','humanOverride','human_override','humanReviewerId','human_reviewer_id','humanDecision','human_decision','overrideReason','override_reason','affectedUserId','affected_user_id','decisionCategory','decision_category','consequenceLevel','consequence_level','latencyMs','latency_ms','tokenUsage','token_usage','environment','taskId','task_id','promptVersion','prompt_version','stream','seq','prevHash','prev_hash','hash']::VARCHAR[], k)`,
  extraIntersect: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE len(list_intersect(k, ['traceId','trace_id','decisionId','decision_id','timestamp','modelId','model_id','modelVersion','model_version','modelChecksum','model_checksum','riskTier','risk_tier','inputHash','input_hash','inputFeatures','input_features','featureStoreVersion','feature_store_version','contextData','context_data','prediction','confidence','alternativePredictions','alternative_predictions','explanationRef','explanation_ref','humanReviewRequired','human_review_required','humanReviewed','human_reviewed','humanOverride','human_override','humanReviewerId','human_reviewer_id','humanDecision','human_decision','overrideReason','override_reason','affectedUserId','affected_user_id','decisionCategory','decision_category','consequenceLevel','consequence_level','latencyMs','latency_ms','tokenUsage','token_usage','environment','taskId','task_id','promptVersion','prompt_version','stream','seq','prevHash','prev_hash','hash']::VARCHAR[])) < len(k)`,
  dupDistinct: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE len(k) <> len(list_distinct(k))`,
  dupUnique: `SELECT count(*) FROM (SELECT json_keys(raw) AS k FROM (${input})) WHERE len(k) <> list_unique(k)`,
  nanContains: `SELECT count(*) FROM (${input}) WHERE contains(raw, 'NaN') OR contains(raw, 'Infinity') OR contains(raw, 'nan') OR contains(raw, 'inf') OR contains(raw, ',}') OR contains(raw, ',]')`,
  parsed: `WITH ${parsedSql(input, ctx, ['decision'])} SELECT count(*) FROM parsed WHERE problem IS NULL`,
};
for (const [name, sql] of Object.entries(tests)) {
  if (process.argv[2] && !process.argv.slice(2).includes(name)) continue;
  const t = Date.now(); const r = await c.runAndReadAll(sql); console.log(name, Date.now() - t, 'ms', String(r.getRowsJS()[0][0]));
}
