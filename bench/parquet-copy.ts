// A Parquet (ZSTD) copy of a JSONL archive, as used for the 50M load run (docs/benchmarks.md):
//   node bin/run-ts.mjs bench/parquet-copy.ts SRC_ARCHIVE_DIR DST_DIR
// Data files become .parquet, the descriptor loses its `files` lists, the manifest is left out (it lists
// the .jsonl objects this copy no longer has); checkpoints, signatures, tokens, keys, explanations copied.
// A file already converted is skipped, so an interrupted copy can be resumed.
import { DuckDBInstance } from '@duckdb/node-api';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: node bin/run-ts.mjs bench/parquet-copy.ts SRC_ARCHIVE_DIR DST_DIR');
  process.exit(2);
}
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB' });
const con = await inst.connect();
const t0 = Date.now();
let n = 0;
for (const file of walk(src)) {
  const rel = relative(src, file);
  if (rel.startsWith('manifest') || rel === 'archive.json') continue;
  const out = join(dst, rel);
  mkdirSync(join(out, '..'), { recursive: true });
  if (/\.jsonl(\.gz)?$/.test(file)) {
    const pq = out.replace(/\.jsonl(\.gz)?$/, '.parquet');
    if (existsSync(pq) && !existsSync(`${pq}.partial`)) continue;
    const copy = (extra: string) =>
      con.run(
        `COPY (SELECT * FROM read_json('${file}', timestampformat='x', dateformat='x'${extra})) TO '${pq}.partial' (FORMAT parquet, COMPRESSION zstd)`,
      );
    // a member too rare for the sample (taskId) makes DuckDB refuse the file: then the whole file is the sample
    await copy('').catch(() => copy(', sample_size=-1'));
    renameSync(`${pq}.partial`, pq);
    if (++n % 50 === 0) console.log(`${n} files, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } else cpSync(file, out);
}
const descriptor = JSON.parse(readFileSync(join(src, 'archive.json'), 'utf8'));
for (const s of descriptor.streams ?? []) delete s.files;
writeFileSync(join(dst, 'archive.json'), JSON.stringify(descriptor, null, 2));
console.log(`done: ${n} data files in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
