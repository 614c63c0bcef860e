/**
 * CSV written by DuckDB's own COPY, for exports of millions of rows: several times faster than
 * moving every value into JS, and streamed inside DuckDB within its memory limit. The query is wrapped
 * so that each column comes out the way CsvWriter would write it: text (VARCHAR, JSON, nested values as
 * JSON) with the same formula escaping (a leading apostrophe before =, +, -, @, tab or CR), times as
 * ISO 8601 UTC, numbers and booleans as they are. RFC 4180 quoting and CRLF line ends are DuckDB's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { bindable } from '../query/db.ts';
import type { StreamParams } from './duck-rows.ts';

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The SQL of one output column, from its DuckDB type. */
export function columnSql(name: string, type: string): string {
  const c = quoteIdent(name);
  const escape = (text: string): string =>
    `CASE WHEN left(${text}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || ${text} ELSE ${text} END`;
  if (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/i.test(
      type,
    )
  )
    return c;
  if (/^TIMESTAMP( WITH TIME ZONE)?$|^TIMESTAMPTZ$/i.test(type)) {
    return `CASE WHEN ${c} IS NULL THEN NULL ELSE strftime(${c}::TIMESTAMPTZ AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') END`;
  }
  if (/^(VARCHAR|JSON|UUID|DATE|TIME)$/i.test(type)) return escape(`${c}::VARCHAR`);
  // lists, structs, maps: as JSON text, like CsvWriter
  return escape(`to_json(${c})::VARCHAR`);
}

export interface CopyResult {
  rows: number;
  bytes: number;
  sha256: string;
  columns: string[];
}

/**
 * Writes `sql` as a CSV file (header row, CRLF) through DuckDB COPY into `partFile`, the caller's
 * temporary name, which it renames into place (src/export/run.ts).
 */
export async function copyCsv(
  duck: DuckDBConnection,
  sql: string,
  params: StreamParams,
  partFile: string,
  options: { bom?: boolean } = {},
): Promise<CopyResult> {
  const bound = bindable(params);
  const described = await duck.runAndReadAll(`DESCRIBE ${sql}`, bound.values, bound.types);
  const cols = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const select = cols.map((c) => `${columnSql(c.name, c.type)} AS ${quoteIdent(c.name)}`).join(', ');
  const copy = `${partFile}.copy`;
  try {
    const r = await duck.run(
      `COPY (SELECT ${select} FROM (${sql})) TO ${sqlString(copy)} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\\r\\n')`,
      bound.values,
      bound.types,
    );
    // The digest is taken on the way to the final name, with the optional byte order mark in front.
    const hash = createHash('sha256');
    let bytes = 0;
    const out = createWriteStream(partFile);
    if (options.bom) {
      const bom = Buffer.from('\uFEFF', 'utf8');
      hash.update(bom);
      bytes += bom.length;
      out.write(bom);
    }
    await pipeline(
      createReadStream(copy),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      out,
    );
    return { rows: Number(r.rowsChanged), bytes, sha256: hash.digest('hex'), columns: cols.map((c) => c.name) };
  } catch (err) {
    rmSync(partFile, { force: true });
    throw err;
  } finally {
    rmSync(copy, { force: true });
  }
}
