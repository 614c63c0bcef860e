import fs from 'node:fs'; import { DuckDBInstance } from '@duckdb/node-api';
import { createTableSql } from '../src/case/evidence-schema.ts';
import { RecordSql } from '../src/import/record-sql.ts';
import { jsonlLinesSql } from '../src/import/source-sql.ts';
const [file, lines, ml, opt, mode] = process.argv.slice(2);
const db = '/tmp/case-scratch/prof.duckdb'; for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
const inst = await DuckDBInstance.create(db, { threads: '2', memory_limit: ml, preserve_insertion_order: 'false' });
const c = await inst.connect(); await c.run("SET TimeZone='UTC'");
await c.run(createTableSql('decision'));
if (opt) await c.run(`SET disabled_optimizers='${opt}'`);
const ctx = { fileKind: 'decision' as const, declaredStreams: new Map(), importId: 1, files: [{ sourceFileId: 1, sourceFile: 'x' }] };
const input = jsonlLinesSql([file], [Number(lines)], '\\n', false);
const q = new RecordSql(ctx, ['decision']);
let sql = mode === 'select' ? `SELECT count(*) FROM (WITH ${q.parsed(input)} ${q.selectRecords('decision')})`
  : mode === 'parsed' ? `WITH ${q.parsed(input)} SELECT count(*) FROM parsed WHERE problem IS NULL`
  : `INSERT INTO decisions WITH ${q.parsed(input)} ${q.selectRecords('decision')}`;
const t0 = Date.now();
const r = await c.run(sql);
console.log(mode, 'ml', ml, 'opt', opt, Date.now() - t0, 'ms', 'rss', Math.round(process.resourceUsage().maxRSS / 1024), 'MB');
