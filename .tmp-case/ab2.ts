// A/B: bare read_json CTAS vs our census + INSERT, fresh file DBs, min of N runs (wall and CPU).
import fs from 'node:fs'; import { DuckDBInstance } from '@duckdb/node-api';
import { createTableSql } from '../src/case/evidence-schema.ts';
import { RecordSql, keyCensusSql, keyCensusSummarySql } from '../src/import/record-sql.ts';
import { jsonlLinesSql } from '../src/import/source-sql.ts';
const [file, lines, runs = '2'] = process.argv.slice(2);
async function fresh() {
  const db = '/tmp/case-scratch/ab.duckdb'; for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
  const inst = await DuckDBInstance.create(db, { threads: '2', memory_limit: '1GB', preserve_insertion_order: 'false' });
  const c = await inst.connect(); await c.run("SET TimeZone='UTC'"); return { inst, c };
}
const ctx = { fileKind: 'decision' as const, declaredStreams: new Map(), importId: 1, files: [{ sourceFileId: 1, sourceFile: 'x' }] };
const input = jsonlLinesSql([file], [Number(lines)], '\\n', false);
const times: Record<string, number> = {};
const variants: Record<string, (c: any) => Promise<void>> = {
  bare: async (c) => { await c.run(`CREATE TABLE t AS SELECT * FROM read_json('${file}')`); },
  ours: async (c) => {
    let t = process.cpuUsage();
    await c.run(createTableSql('decision')); await c.run("SET disabled_optimizers='filter_pushdown'");
    await c.run(keyCensusSql(input, 'kc'));
    const row = (await c.runAndReadAll(keyCensusSummarySql('kc'))).getRowObjectsJS()[0];
    const census = { table: 'kc', names: new Set((row.names as string[]).map(String)), duplicates: row.duplicates === true, extrasFor: new Set<any>(), dialect: 'camelCase' as const };
    let d = process.cpuUsage(t); times.census = Math.min(times.census ?? 1e9, Math.round((d.user + d.system) / 1000));
    t = process.cpuUsage();
    const q = new RecordSql(ctx, ['decision'], census);
    await c.run(`INSERT INTO decisions WITH ${q.parsed(input, 'decision')} ${q.selectRecords('decision')}`);
    d = process.cpuUsage(t); times.insert = Math.min(times.insert ?? 1e9, Math.round((d.user + d.system) / 1000));
  },
};
const which = process.env.V ? process.env.V.split(',') : Object.keys(variants);
const best: Record<string, { wall: number; cpu: number }> = {};
for (let i = 0; i < Number(runs); i++) for (const name of which) {
  const { inst, c } = await fresh();
  if (process.env.RAWU && name === 'ours') {}
  const t = Date.now(); const cu = process.cpuUsage();
  await variants[name](c); await c.run('CHECKPOINT');
  const d = process.cpuUsage(cu); const wall = Date.now() - t; const cpu = Math.round((d.user + d.system) / 1000);
  c.closeSync(); inst.closeSync();
  const b = best[name] ?? { wall: 1e9, cpu: 1e9 }; best[name] = { wall: Math.min(b.wall, wall), cpu: Math.min(b.cpu, cpu) };
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(12), 'wall', v.wall, 'cpu', v.cpu);
console.log(times);
