import { DuckDBInstance } from '@duckdb/node-api';
import { createTableSql } from '../src/case/evidence-schema.ts';
import { parsedSql, selectRecordsSql } from '../src/import/record-sql.ts';
import { jsonlLinesSql } from '../src/import/source-sql.ts';
const file = 'test/fixtures/spec/example/decisions/2026-03-01.jsonl';
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await inst.connect();
await c.run(createTableSql('decision'));
const ctx = { fileKind: 'decision' as const, declaredStreams: new Map(), importId: 1, sourceFileId: 1, sourceFile: file };
const sql = `EXPLAIN INSERT INTO decisions WITH ${parsedSql(jsonlLinesSql(file, '\\n', false), ctx, ['decision'])} ${selectRecordsSql('decision', ctx)}`;
console.log('sql length', sql.length);
for (const opt of ['', 'filter_pushdown', '', 'filter_pushdown', 'filter_pushdown,expression_rewriter', 'filter_pushdown,common_subexpressions', 'filter_pushdown,statistics_propagation']) {
  await c.run(`SET disabled_optimizers = '${opt}'`).catch(e => console.log(e.message.slice(0,100)));
  let t1 = 1e9; for (let i = 0; i < 3; i++) { const t = Date.now(); await c.run(sql); t1 = Math.min(t1, Date.now() - t); }
  console.log(opt || '(none)', t1, 'ms');
}
