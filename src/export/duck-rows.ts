/**
 * Rows of a DuckDB query, streamed chunk by chunk (about 2,048 rows each) so that exporting ten
 * million rows never materialises them. Values come out as plain JS (numbers, bigints, strings,
 * Dates, objects for JSON / STRUCT / LIST).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { CsvValue } from './csv.ts';

export async function streamQuery(
  duck: DuckDBConnection,
  sql: string,
  values?: Record<string, DuckDBValue> | DuckDBValue[],
): Promise<{ columns: string[]; rows: AsyncIterable<readonly CsvValue[]> }> {
  const result = await duck.stream(sql, values);
  const columns = result.columnNames();
  async function* rows(): AsyncGenerator<readonly CsvValue[]> {
    for await (const chunk of result.yieldRowsJs()) {
      for (const row of chunk) yield row as CsvValue[];
    }
  }
  return { columns, rows: rows() };
}
