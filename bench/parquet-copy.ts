/**
 * A Parquet (ZSTD) copy of a JSONL archive: every data file rewritten by DuckDB (`read_json` -> `COPY ...
 * (FORMAT parquet)`, timestamps kept as the strings the producer wrote), everything else copied, the
 * descriptor without its `files` lists (they name .jsonl paths; streams are then found by folder). Used by
 * the import benchmark (bench/import.ts) and, from the command line, for the 50M load run (docs/benchmarks.md):
 *
 *   node bin/run-ts.mjs bench/parquet-copy.ts SRC_ARCHIVE_DIR DST_DIR
 *
 * which leaves the manifest out (it lists the .jsonl objects the copy no longer has) and skips data files
 * already converted, so an interrupted copy can be resumed.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** One JSONL file as Parquet, written under `<pq>.partial` and renamed when complete. */
async function convertFile(con: DuckDBConnection, file: string, pq: string): Promise<void> {
  const copy = async (extra: string) => {
    const source = `read_json('${file}', timestampformat='x', dateformat='x'${extra})`;
    // A member null in every record of a file (explanationRef in a small day file) is typed JSON there and
    // VARCHAR in the other files, which read_parquet then cannot read as one table: write it as VARCHAR.
    const types = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS();
    const nullJson = types.filter((t) => t.column_type === 'JSON').map((t) => String(t.column_name));
    const counts = nullJson.length
      ? (
          await con.runAndReadAll(`SELECT ${nullJson.map((c) => `count("${c}")`).join(', ')} FROM ${source}`)
        ).getRows()[0]
      : [];
    const replace = nullJson.filter((_, i) => Number(counts[i]) === 0).map((c) => `NULL::VARCHAR AS "${c}"`);
    const select = replace.length ? `* REPLACE (${replace.join(', ')})` : '*';
    await con.run(`COPY (SELECT ${select} FROM ${source}) TO '${pq}.partial' (FORMAT parquet, COMPRESSION zstd)`);
  };
  // a member rarer than DuckDB's sample (taskId) makes it refuse the file: then the whole file is the sample
  await copy('').catch(() => copy(', sample_size=-1'));
  renameSync(`${pq}.partial`, pq);
}

/**
 * Writes the copy of `src` into `dst`; `keepManifest` copies the manifest as it is (the import benchmark),
 * otherwise it is left out. Returns how many data files were converted (those already there are skipped).
 */
export async function parquetCopyOf(
  src: string,
  dst: string,
  options: { keepManifest: boolean; onFile?: (converted: number) => void },
): Promise<number> {
  const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB' });
  const con = await inst.connect();
  let converted = 0;
  try {
    for (const file of walk(src)) {
      const rel = relative(src, file);
      if (rel === 'archive.json' || (rel.startsWith('manifest') && !options.keepManifest)) continue;
      const out = join(dst, rel);
      mkdirSync(join(out, '..'), { recursive: true });
      if (/\.jsonl(\.gz)?$/.test(file) && !rel.startsWith('manifest')) {
        const pq = out.replace(/\.jsonl(\.gz)?$/, '.parquet');
        if (existsSync(pq)) continue;
        await convertFile(con, file, pq);
        options.onFile?.(++converted);
      } else cpSync(file, out);
    }
    // The descriptor last: its presence marks the copy complete.
    const descriptor = JSON.parse(readFileSync(join(src, 'archive.json'), 'utf8'));
    for (const s of descriptor.streams ?? []) delete s.files;
    writeFileSync(join(dst, 'archive.json'), JSON.stringify(descriptor, null, 2));
  } finally {
    con.closeSync();
    inst.closeSync();
  }
  return converted;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [src, dst] = process.argv.slice(2);
  if (!src || !dst) {
    console.error('usage: node bin/run-ts.mjs bench/parquet-copy.ts SRC_ARCHIVE_DIR DST_DIR');
    process.exit(2);
  }
  const t0 = Date.now();
  const seconds = () => ((Date.now() - t0) / 1000).toFixed(0);
  const n = await parquetCopyOf(src, dst, {
    keepManifest: false,
    onFile: (k) => {
      if (k % 50 === 0) console.log(`${k} files, ${seconds()} s`);
    },
  });
  console.log(`done: ${n} data files in ${seconds()} s`);
}
