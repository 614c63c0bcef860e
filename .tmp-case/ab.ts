// A/B: bare read_json CTAS vs our INSERT for one kind, fresh file DBs, min of N runs (wall and CPU).
import fs from 'node:fs'; import { DuckDBInstance } from '@duckdb/node-api';
import { createTableSql } from '../src/case/evidence-schema.ts';
import { RecordSql } from '../src/import/record-sql.ts';
import { jsonlLinesSql } from '../src/import/source-sql.ts';
const [file, lines, runs = '2'] = process.argv.slice(2);
async function fresh() {
  const db = '/tmp/case-scratch/ab.duckdb'; for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
  const inst = await DuckDBInstance.create(db, { threads: '2', memory_limit: '1GB', preserve_insertion_order: 'false' });
  const c = await inst.connect(); await c.run("SET TimeZone='UTC'"); return { inst, c };
}
const ctx = { fileKind: 'decision' as const, declaredStreams: new Map(), importId: 1, files: [{ sourceFileId: 1, sourceFile: 'x' }] };
const q = new RecordSql(ctx, ['decision']);
const input = jsonlLinesSql([file], [Number(lines)], '\\n', false);
const variants: Record<string, (c: any) => Promise<void>> = {
  bare: async (c) => { await c.run(`CREATE TABLE t AS SELECT * FROM read_json('${file}')`); },
  rawonly: async (c) => { await c.run(`CREATE TABLE t AS SELECT line, raw FROM (${input})`); },
  ours: async (c) => { await c.run(createTableSql('decision')); await c.run("SET disabled_optimizers='filter_pushdown'"); await c.run(`INSERT INTO decisions WITH ${q.parsed(input)} ${q.selectRecords('decision')}`); },
  keyCensus: async (c) => { await c.run(`CREATE TABLE t AS SELECT k, count(*) AS n FROM (SELECT json_keys(raw) AS k FROM (${input}) WHERE raw IS NOT NULL) GROUP BY k`); },
  mixedLoad: async (c) => { await c.run(`CREATE TABLE t AS SELECT line, raw, j.*, TRY_CAST(j.confidence AS DOUBLE) AS conf, TRY_CAST(j.latencyMs AS DOUBLE) AS lat, TRY_CAST(j.seq AS BIGINT) AS seq2,
     TRY_CAST(json_extract_string(j.timestamp, '$') AS TIMESTAMPTZ) AS ts,
     CASE WHEN NOT contains('-0123456789n', left(j.confidence, 1)) THEN 'bad' END AS p1
     FROM (SELECT line, raw, try(json_transform(raw, '{"traceId": "VARCHAR", "decisionId": "VARCHAR", "timestamp": "JSON", "modelId": "VARCHAR", "modelVersion": "VARCHAR", "modelChecksum": "VARCHAR", "riskTier": "VARCHAR", "inputHash": "VARCHAR", "inputFeatures": "JSON", "featureStoreVersion": "VARCHAR", "contextData": "JSON", "prediction": "VARCHAR", "confidence": "JSON", "alternativePredictions": "JSON", "explanationRef": "VARCHAR", "humanReviewRequired": "JSON", "humanReviewed": "JSON", "humanOverride": "JSON", "humanReviewerId": "VARCHAR", "humanDecision": "VARCHAR", "overrideReason": "VARCHAR", "affectedUserId": "VARCHAR", "decisionCategory": "VARCHAR", "consequenceLevel": "VARCHAR", "latencyMs": "JSON", "tokenUsage": "JSON", "environment": "VARCHAR", "taskId": "VARCHAR", "promptVersion": "VARCHAR", "stream": "VARCHAR", "seq": "JSON", "prevHash": "VARCHAR", "hash": "VARCHAR", "eventType": "VARCHAR", "observedAt": "VARCHAR", "outcome": "VARCHAR", "reviewerId": "VARCHAR", "eventId": "VARCHAR"}')) AS j FROM (${input}))`); },
  rawZstd: async (c) => { await c.run(`CREATE TABLE t (line BIGINT, raw VARCHAR USING COMPRESSION zstd)`); await c.run(`INSERT INTO t SELECT line, raw FROM (${input})`); },
  rawUncomp: async (c) => { await c.run(`CREATE TABLE t (line BIGINT, raw VARCHAR USING COMPRESSION uncompressed)`); await c.run(`INSERT INTO t SELECT line, raw FROM (${input})`); },
  rawDefault: async (c) => { await c.run(`CREATE TABLE t (line BIGINT, raw VARCHAR)`); await c.run(`INSERT INTO t SELECT line, raw FROM (${input})`); },
  parsedOnly: async (c) => { await c.run("SET disabled_optimizers='filter_pushdown'"); await c.run(`CREATE TABLE t AS WITH ${q.parsed(input)} SELECT line, problem FROM parsed`); },
};
const which = process.env.V ? process.env.V.split(',') : Object.keys(variants);
const best: Record<string, { wall: number; cpu: number }> = {};
for (let i = 0; i < Number(runs); i++) for (const name of which) {
  const { inst, c } = await fresh();
  const t = Date.now(); const cu = process.cpuUsage();
  await variants[name](c); await c.run('CHECKPOINT');
  const d = process.cpuUsage(cu); const wall = Date.now() - t; const cpu = Math.round((d.user + d.system) / 1000);
  if (process.env.SIZE) console.log(name, fs.statSync('/tmp/case-scratch/ab.duckdb').size);
  c.closeSync(); inst.closeSync();
  const b = best[name] ?? { wall: 1e9, cpu: 1e9 }; best[name] = { wall: Math.min(b.wall, wall), cpu: Math.min(b.cpu, cpu) };
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(12), 'wall', v.wall, 'cpu', v.cpu);
