/**
 * DuckDB relations `(line, row, raw, pre_problem, unverifiable)` over a data file, the input of record-sql.ts.
 *
 * JSONL is read by DuckDB's CSV reader as one VARCHAR column per line: no quoting, no escaping, and a
 * delimiter (0x1F, unit separator) that valid JSON cannot contain outside a string and never inside one
 * unescaped. WITH ORDINALITY numbers the rows in file order (also with parallel reading); blank lines
 * come through as NULL, so the number is the line number. The reader treats a lone \r as a line end,
 * so the scan (scan.ts) sends files whose line ends are not uniformly \n or \r\n, or that hold bytes
 * the CSV reader would mangle, to the exact path instead: JS splits the lines (src/archive/lines.ts)
 * into a temporary NDJSON file of {line, raw} that DuckDB then reads.
 */
import { quoteIdent } from '../case/evidence-schema.ts';
import { sqlString } from './record-sql.ts';

/** Largest JSONL line (bytes) the fast path reads; longer lines go through the exact path and are rejected there. */
export const FAST_PATH_MAX_LINE_BYTES = 8 * 1024 * 1024;

export function jsonlLinesSql(path: string, newLine: '\\n' | '\\r\\n', gzip: boolean): string {
  const options = [
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
  ];
  return `SELECT ordinality::BIGINT AS line, NULL::BIGINT AS row, raw, NULL::VARCHAR AS pre_problem, NULL::VARCHAR AS unverifiable
FROM read_csv(${sqlString(path)}, ${options.join(', ')}) WITH ORDINALITY`;
}

/** The exact path's temporary file: one JSON object per source line, {"l": line, "r": raw} or {"l": line, "p": problem}. */
export function preparedLinesSql(path: string): string {
  return `SELECT l AS line, NULL::BIGINT AS row, r AS raw, p AS pre_problem, NULL::VARCHAR AS unverifiable
FROM read_json(${sqlString(path)}, format='newline_delimited', columns={'l': 'BIGINT', 'r': 'VARCHAR', 'p': 'VARCHAR'}, maximum_object_size=1073741824)`;
}

/**
 * A Parquet file's rows rendered as JSON text by DuckDB (to_json of a struct of the file's columns,
 * named from DESCRIBE so the row number column stays out). Null columns come out as null members,
 * which the hash rule drops like absent ones. `unverifiableSql` is evaluated over the file's columns.
 */
export function parquetRowsSql(path: string, columnNames: readonly string[], unverifiableSql: string): string {
  const struct = columnNames.map((c) => `${quoteIdent(c)} := ${quoteIdent(c)}`).join(', ');
  return `SELECT NULL::BIGINT AS line, (file_row_number + 1)::BIGINT AS row, to_json(struct_pack(${struct}))::VARCHAR AS raw,
  NULL::VARCHAR AS pre_problem, ${unverifiableSql} AS unverifiable
FROM read_parquet(${sqlString(path)}, file_row_number=true)`;
}
