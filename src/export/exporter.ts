/**
 * What a CSV export reads from. Each exporter is one file in exporters/ that turns a named query and
 * its parameters into columns and a stream of rows; exporters/index.ts registers them. Parameters come
 * as text (from `--param key=value` or the UI) and each exporter parses and checks its own.
 */
import type Database from 'better-sqlite3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { AuditWsError } from '../errors.ts';
import type { CsvValue } from './csv.ts';
import type { StreamParams } from './duck-rows.ts';

export interface ExportParamSpec {
  name: string;
  description: string;
  required?: boolean;
}

/** The case an export reads: its evidence (DuckDB) and its bookkeeping (SQLite). */
export interface ExportContext {
  duck: DuckDBConnection;
  sqlite: Database.Database;
}

/** Rows produced in JS (small results, or rows that need a JS step such as an anomaly's reason). */
export interface RowsSource {
  columns: string[];
  rows: AsyncIterable<readonly CsvValue[]>;
}

/**
 * A query DuckDB writes itself (COPY ... TO, streamed inside DuckDB): the path for exports of millions
 * of rows. Text cells are formula-escaped in the SQL (csv-sql.ts) by the same rule as CsvWriter.
 */
export interface SqlSource {
  sql: string;
  params: StreamParams;
}

export type ExportSource = RowsSource | SqlSource;

export function isSqlSource(s: ExportSource): s is SqlSource {
  return 'sql' in s;
}

export interface Exporter {
  /** The name the CLI and the sidecar use, e.g. "search". */
  name: string;
  description: string;
  params: readonly ExportParamSpec[];
  open(ctx: ExportContext, params: Readonly<Record<string, string>>): Promise<ExportSource>;
}

/** Refuses parameters an exporter does not know and reports missing required ones, naming them. */
export function checkParams(exporter: Exporter, params: Readonly<Record<string, string>>): void {
  const known = new Set(exporter.params.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!known.has(name)) {
      const list = exporter.params.map((p) => p.name).join(', ') || 'none';
      throw new AuditWsError('BAD_USAGE', `export ${exporter.name}: unknown parameter "${name}" (parameters: ${list})`);
    }
  }
  for (const p of exporter.params) {
    if (p.required && (params[p.name] === undefined || params[p.name] === '')) {
      throw new AuditWsError(
        'BAD_USAGE',
        `export ${exporter.name}: parameter "${p.name}" is required (${p.description})`,
      );
    }
  }
}

/** A whole-number parameter, or undefined when absent. */
export function intParam(exporter: string, params: Readonly<Record<string, string>>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw new AuditWsError('BAD_USAGE', `export ${exporter}: parameter "${name}" must be a whole number, not "${v}"`);
  return Number(v);
}

/** A number parameter, or undefined when absent. */
export function numberParam(
  exporter: string,
  params: Readonly<Record<string, string>>,
  name: string,
): number | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new AuditWsError('BAD_USAGE', `export ${exporter}: parameter "${name}" must be a number, not "${v}"`);
  return n;
}
