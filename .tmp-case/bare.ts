import fs from 'node:fs'; import { DuckDBInstance } from '@duckdb/node-api';
const db = '/tmp/case-scratch/bare.duckdb'; for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
const inst = await DuckDBInstance.create(db, { threads: '2' }); const c = await inst.connect();
const t0 = Date.now(); await c.run(`CREATE TABLE t AS SELECT * FROM read_json(${JSON.stringify(process.argv.slice(2)).replace(/"/g, "'")})`);
console.log('bare', Date.now() - t0, 'ms', 'rss', Math.round(process.resourceUsage().maxRSS / 1024), 'MB');
