/**
 * DuckDB relations `(fidx, line, row, raw, pre_problem, unverifiable)` over a batch of data files, the
 * input of record-sql.ts. `fidx` is the 0-based index of the row's file in the batch.
 *
 * JSONL is read by DuckDB's CSV reader as one VARCHAR column per line: no quoting, no escaping, and a
 * delimiter (0x1F, unit separator) that valid JSON cannot hold unescaped. WITH ORDINALITY numbers the
 * rows in reading order, which is file order, file after file, also when DuckDB reads in parallel;
 * blank lines come through as NULL, so the number minus the lines of the earlier files of the batch
 * (counted by scan.ts) is the line number. The reader treats a lone \r as a line end, so scan.ts sends
 * files whose line ends are not uniformly \n or \r\n, or that hold bytes the CSV reader would mangle, to
 * the exact path instead: JS splits the lines (src/archive/lines.ts) into a temporary NDJSON file of
 * {f, l, r} that DuckDB then reads.
 */
import { quoteIdent } from '../case/evidence-schema.ts';
import { parquetColumnAlias } from './parquet-sql.ts';
import { sqlString } from './record-sql.ts';

/** Largest JSONL line (bytes) the fast path reads; files with longer lines take the exact path. */
export const FAST_PATH_MAX_LINE_BYTES = 8 * 1024 * 1024;

function fileList(paths: readonly string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

/** read_csv's options for reading each line of a JSONL file as one VARCHAR column `raw`. */
function csvOptions(newLine: '\\n' | '\\r\\n', gzip: boolean): string {
  return [
    `columns={'raw': 'VARCHAR'}`,
    'header=false',
    `delim=E'\\x1F'`,
    `quote=''`,
    `escape=''`,
    'auto_detect=false',
    'strict_mode=false',
    `new_line=${sqlString(newLine)}`,
    `max_line_size=${FAST_PATH_MAX_LINE_BYTES}`,
    `buffer_size=${FAST_PATH_MAX_LINE_BYTES * 2}`,
    `compression=${gzip ? "'gzip'" : "'none'"}`,
  ].join(', ');
}

/**
 * `lineCounts[i]`: lines of file i, blank ones and a last line without a line end included.
 *
 * The numbering (a streaming window in DuckDB) runs on one thread, and so would everything after it in
 * the same pipeline. The branches of a UNION ALL run in parallel, so the work is split into `parallel`
 * branches: with at least that many files, each branch reads a run of consecutive files (balanced by
 * lines); with fewer, every branch reads all the files but keeps only every n-th line, sharing out the
 * costly work after the numbering for the price of scanning the lines once per branch. (Compressed
 * files are never read twice: decompressing once per branch would cost more than it saves.)
 */
export function jsonlLinesSql(
  paths: readonly string[],
  lineCounts: readonly number[],
  newLine: '\\n' | '\\r\\n',
  gzip: boolean,
  parallel = 1,
): string {
  const options = csvOptions(newLine, gzip);
  const n = Math.max(1, Math.floor(parallel));
  /** One branch: files [from, to) numbered from their first line; `lane` of `lanes` keeps every lanes-th line. */
  const branch = (from: number, to: number, lane: number, lanes: number): string => {
    let offsets = '0';
    if (to - from > 1) {
      const starts: number[] = [];
      let sum = 0;
      for (let i = from; i < to; i++) {
        starts.push(sum);
        sum += lineCounts[i];
      }
      offsets = `[${starts.join(', ')}][file_index::BIGINT + 1]`;
    }
    const fidx = from === 0 ? 'file_index::INTEGER' : `(file_index + ${from})::INTEGER`;
    return `SELECT ${fidx} AS fidx, (ordinality - ${offsets})::BIGINT AS line, NULL::BIGINT AS row, raw,
  NULL::VARCHAR AS pre_problem, NULL::VARCHAR AS unverifiable
FROM read_csv(${fileList(paths.slice(from, to))}, ${options}) WITH ORDINALITY${lanes > 1 ? ` WHERE ordinality % ${lanes} = ${lane}` : ''}`;
  };
  if (paths.length >= n || gzip) {
    // Runs of consecutive files with about the same number of lines each.
    const total = lineCounts.reduce((a, b) => a + b, 0);
    const runs: [number, number][] = [];
    let start = 0;
    let acc = 0;
    for (let i = 0; i < paths.length; i++) {
      acc += lineCounts[i];
      const left = paths.length - i - 1;
      if (runs.length < n - 1 && acc >= (total * (runs.length + 1)) / n && left >= n - runs.length - 1) {
        runs.push([start, i + 1]);
        start = i + 1;
      }
    }
    if (start < paths.length) runs.push([start, paths.length]);
    return runs.map(([a, b]) => branch(a, b, 0, 1)).join('\nUNION ALL\n');
  }
  return Array.from({ length: n }, (_, i) => branch(0, paths.length, i, n)).join('\nUNION ALL\n');
}

/** The exact path's temporary file: one JSON object per non-blank source line, {f, l, r} or {f, l, p} (a problem). */
export function preparedLinesSql(path: string, maxObjectBytes: number): string {
  return `SELECT f AS fidx, l AS line, NULL::BIGINT AS row, r AS raw, p AS pre_problem, NULL::VARCHAR AS unverifiable
FROM read_json(${sqlString(path)}, format='newline_delimited', columns={'f': 'INTEGER', 'l': 'BIGINT', 'r': 'VARCHAR', 'p': 'VARCHAR'}, maximum_object_size=${maxObjectBytes})`;
}

/**
 * Rows of Parquet files with the same columns, each rendered as JSON text by DuckDB (to_json of a
 * struct of the file's columns, named one by one so the virtual columns stay out). Null columns come
 * out as null members, which the hash rule drops like absent ones. The file's columns follow under
 * the aliases of parquet-sql.ts (clear of line, row and raw); `unverifiableSql` is evaluated over them.
 */
export function parquetRowsSql(
  paths: readonly string[],
  columnNames: readonly string[],
  unverifiableSql: string,
): string {
  const struct = columnNames.map((c) => `${quoteIdent(c)} := ${quoteIdent(c)}`).join(', ');
  const cols = columnNames.map((c, i) => `${quoteIdent(c)} AS ${parquetColumnAlias(i)}`).join(', ');
  return `SELECT file_index::INTEGER AS fidx, NULL::BIGINT AS line, (file_row_number + 1)::BIGINT AS row,
  to_json(struct_pack(${struct}))::VARCHAR AS raw, NULL::VARCHAR AS pre_problem, ${unverifiableSql} AS unverifiable${cols ? `, ${cols}` : ''}
FROM read_parquet(${fileList(paths)}, file_row_number=true, union_by_name=true)`;
}

/**
 * The lines of a batch read without numbering them, so DuckDB reads and parses them on all its threads
 * (a numbered read keeps everything after the numbering on one thread per branch, which at 1M decisions
 * doubled the load). Rows `(fidx, line, ...)` as jsonlLinesSql gives, with `line` NULL.
 */
export function jsonlUnnumberedSql(paths: readonly string[], newLine: '\\n' | '\\r\\n', gzip: boolean): string {
  return `SELECT file_index::INTEGER AS fidx, NULL::BIGINT AS line, NULL::BIGINT AS row, raw,
  NULL::VARCHAR AS pre_problem, NULL::VARCHAR AS unverifiable
FROM read_csv(${fileList(paths)}, ${csvOptions(newLine, gzip)})`;
}

/**
 * The unnumbered lines (jsonlUnnumberedSql) with their line numbers, from the line index. Only valid when
 * no two lines of a file share a hash (every `n` is 1): then each line finds exactly its own number.
 * Blank lines are not in the index and drop out, as the loader skips them anyway. With `keyHashes` (an
 * index built by record-sql.ts censusIndexSql) each line also gets `kh`, the hash of its member-name list.
 */
export function numberedByIndexSql(unnumberedSql: string, table: string, keyHashes = false): string {
  return `SELECT c.fidx AS fidx, x.line AS line, c.row AS row, c.raw AS raw, c.pre_problem AS pre_problem, c.unverifiable AS unverifiable${keyHashes ? ', x.kh AS kh' : ''}
FROM (SELECT *, hash(raw) AS h FROM (${unnumberedSql})) c JOIN ${table} x ON x.fidx = c.fidx AND x.h = c.h`;
}
