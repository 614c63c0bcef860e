/**
 * Rows of a DuckDB query, streamed chunk by chunk (about 2,048 rows each) so that exporting ten
 * million rows never materialises them. Values come out as plain JS (numbers, bigints, strings,
 * Dates, objects for JSON / STRUCT / LIST). Parameters bind by name; a list binds as LIST(VARCHAR),
 * as the queries' own parameters do (src/query/db.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { bindable, type SqlParams } from '../query/db.ts';
import type { CsvValue } from './csv.ts';

export type StreamParams = SqlParams;

export async function streamQuery(
  duck: DuckDBConnection,
  sql: string,
  params: StreamParams = {},
): Promise<{ columns: string[]; rows: AsyncIterable<readonly CsvValue[]> }> {
  const { values, types } = bindable(params);
  const result = await duck.stream(sql, values, types);
  const columns = result.columnNames();
  async function* rows(): AsyncGenerator<readonly CsvValue[]> {
    for await (const chunk of result.yieldRowsJs()) {
      for (const row of chunk) yield row as CsvValue[];
    }
  }
  return { columns, rows: rows() };
}
