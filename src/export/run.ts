/**
 * Runs one exporter into a CSV file and writes its sidecar, `<file>.json`, which names the query, its
 * parameters, the columns, the row count and the SHA-256 of the CSV: a CSV cannot say where it came
 * from, so the sidecar does. The CSV is written under a temporary name and renamed when complete, so
 * a failed export never leaves a file that looks whole.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { diskError, makeOutputFolder } from '../case/fs-errors.ts';
import { partFileOf, removeStalePartFiles } from '../case/part-files.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { CsvWriter } from './csv.ts';
import type { CsvValue } from './csv.ts';
import { copyCsv } from './csv-sql.ts';
import { checkParams, isSqlSource } from './exporter.ts';
import type { ExportContext, Exporter } from './exporter.ts';

export const SIDECAR_FORMAT = 'audit-ws-csv-export';

export interface CsvSidecar {
  format: typeof SIDECAR_FORMAT;
  formatVersion: '1.0';
  query: string;
  description: string;
  parameters: Record<string, string>;
  case?: string;
  columns: string[];
  rows: number;
  bytes: number;
  sha256: string;
  file: string;
  createdAt: string;
  createdBy?: string;
  tool: { name: string; version: string };
  encoding: 'UTF-8, RFC 4180, CRLF line ends, header row';
  formulaEscaping: string;
}

export interface ExportCsvOptions {
  caseName?: string;
  actor?: string;
  bom?: boolean;
  now?: Date;
  /**
   * Called once the CSV and its sidecar are complete under their temporary names, before either is
   * renamed into place. The custody entry is written here, so no export ever appears that the custody
   * log does not name; if it throws (a cancel, a full disk), neither file is kept.
   */
  beforePublish?: (result: ExportCsvResult) => void;
}

export interface ExportCsvResult {
  file: string;
  sidecarFile: string;
  sidecar: CsvSidecar;
}

/** The custody entry of a CSV export (`export.csv`), the same from the CLI and the app. */
export function csvExportCustody(result: ExportCsvResult): Record<string, unknown> {
  return {
    query: result.sidecar.query,
    parameters: result.sidecar.parameters,
    file: result.file,
    sidecar: result.sidecarFile,
    rows: result.sidecar.rows,
    bytes: result.sidecar.bytes,
    sha256: result.sidecar.sha256,
  };
}

export const FORMULA_ESCAPING_NOTE =
  "text cells that begin with =, +, -, @, a tab or a carriage return start with an added apostrophe (') so spreadsheets show them as text";

export async function exportCsv(
  exporter: Exporter,
  ctx: ExportContext,
  params: Readonly<Record<string, string>>,
  outFile: string,
  options: ExportCsvOptions = {},
): Promise<ExportCsvResult> {
  checkParams(exporter, params);
  // A folder given as the file: refused before anything is written (the rename into place would fail).
  if (statSync(outFile, { throwIfNoEntry: false })?.isDirectory()) {
    throw new AuditWsError(
      'BAD_USAGE',
      `${outFile} is a folder: give the CSV file's name (e.g. ${path.join(outFile, `${exporter.name}.csv`)})`,
      {
        file: outFile,
      },
    );
  }
  makeOutputFolder(path.dirname(outFile), 'the CSV export', outFile, 'writing the CSV export (no file was written)');
  // Temporary files an earlier, killed export left in the folder (src/case/part-files.ts).
  removeStalePartFiles(path.dirname(outFile));
  const source = await exporter.open(ctx, params);
  const what = { query: exporter.name, description: exporter.description, parameters: { ...params } };
  if (!isSqlSource(source)) return writeCsvFile(outFile, what, source.columns, source.rows, options);
  const part = partFileOf(outFile);
  let copied;
  try {
    copied = await copyCsv(ctx.duck, source.sql, source.params, part, { bom: options.bom });
  } catch (err) {
    throw diskError(err, outFile, 'writing the CSV export (no file was written)');
  }
  return publishCsv(outFile, part, what, copied.columns, copied, options);
}

/** Writes rows from any source as a CSV file with its sidecar (used by exporters and by the report). */
export async function writeCsvFile(
  outFile: string,
  what: { query: string; description: string; parameters: Record<string, string> },
  columns: readonly string[],
  rows: AsyncIterable<readonly CsvValue[]> | Iterable<readonly CsvValue[]>,
  options: ExportCsvOptions = {},
): Promise<ExportCsvResult> {
  const part = partFileOf(outFile);
  const hash = createHash('sha256');
  const out = createWriteStream(part);
  const writer = new CsvWriter(out, { bom: options.bom, onBlock: (b) => hash.update(b) });
  try {
    await writer.writeHeader(columns);
    for await (const row of rows) await writer.writeRow(row);
    await writer.end();
  } catch (err) {
    out.destroy();
    rmSync(part, { force: true });
    throw diskError(err, outFile, 'writing the CSV export (no file was written)');
  }
  return publishCsv(
    outFile,
    part,
    what,
    columns,
    { rows: writer.rows, bytes: writer.bytes, sha256: hash.digest('hex') },
    options,
  );
}

/**
 * Writes the sidecar of the complete CSV at `part`, then, once `options.beforePublish` has accepted the
 * pair (it writes the custody entry), renames both into place. Without its sidecar the CSV is not kept.
 */
function publishCsv(
  outFile: string,
  part: string,
  what: { query: string; description: string; parameters: Record<string, string> },
  columns: readonly string[],
  written: { rows: number; bytes: number; sha256: string },
  options: ExportCsvOptions,
): ExportCsvResult {
  const sidecar: CsvSidecar = {
    format: SIDECAR_FORMAT,
    formatVersion: '1.0',
    query: what.query,
    description: what.description,
    parameters: what.parameters,
    columns: [...columns],
    rows: written.rows,
    bytes: written.bytes,
    sha256: written.sha256,
    file: path.basename(outFile),
    createdAt: (options.now ?? new Date()).toISOString(),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    encoding: 'UTF-8, RFC 4180, CRLF line ends, header row',
    formulaEscaping: FORMULA_ESCAPING_NOTE,
  };
  if (options.caseName) sidecar.case = options.caseName;
  if (options.actor) sidecar.createdBy = options.actor;
  const sidecarFile = `${outFile}.json`;
  const sidecarPart = partFileOf(sidecarFile);
  const result: ExportCsvResult = { file: outFile, sidecarFile, sidecar };
  const removeParts = () => {
    rmSync(part, { force: true });
    rmSync(sidecarPart, { force: true });
  };
  try {
    writeFileSync(sidecarPart, `${JSON.stringify(sidecar, null, 2)}\n`);
  } catch (err) {
    removeParts();
    throw diskError(err, sidecarFile, 'writing the sidecar of the CSV export (no file was kept)');
  }
  let csvInPlace = false;
  try {
    options.beforePublish?.(result);
    renameSync(part, outFile);
    csvInPlace = true;
    renameSync(sidecarPart, sidecarFile);
  } catch (err) {
    removeParts();
    // Without its sidecar the CSV is not kept (a file that was there before the export is left alone).
    if (csvInPlace) rmSync(outFile, { force: true });
    throw diskError(err, outFile, 'writing the CSV export (no file was written)');
  }
  return result;
}
