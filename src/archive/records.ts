/**
 * Reads the records of one data file: JSONL / NDJSON (optionally gzipped) line by line, or Parquet row
 * by row, each with its location (file and line, or file and row) so every finding can point at it.
 */
import { AuditWsError } from '../errors.ts';
import { readLines } from './lines.ts';
import type { LineReaderOptions } from './lines.ts';
import { describeJsonType, parseStrictJson } from './jsontext.ts';
import type { ArchiveFile, OpenedArchive } from './open.ts';

export interface RawRecord {
  file: string;
  line?: number;
  row?: number;
  /** The exact JSONL line (without its line ending). */
  text?: string;
  value: Record<string, unknown>;
  /** Why the hash of this record cannot be checked (a Parquet type that cannot reproduce JSON). */
  unverifiable?: string;
}

export interface RecordError {
  file: string;
  line?: number;
  row?: number;
  message: string;
  error: true;
}

export interface ReadRecordsOptions {
  /** 'throw' (default): the first bad line throws AuditWsError. 'yield': it is yielded as a RecordError. */
  onError?: 'throw' | 'yield';
  /** Longest line accepted, in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /** Parquet: read at most this many rows (DuckDB then renders only those, not a whole row group). */
  maxRows?: number;
}

export function isRecordError(r: RawRecord | RecordError): r is RecordError {
  return (r as RecordError).error === true;
}

const BLANK = /^[ \t]*$/;

/** Adds a note to the archive's warnings once (e.g. a file written with CRLF line endings). */
function noteOnce(archive: OpenedArchive, note: string): void {
  if (!archive.warnings.includes(note)) archive.warnings.push(note);
}

/**
 * Yields the records of one data file in file order. Blank lines are skipped but still counted, so
 * line numbers match what an editor shows. A line that is not a JSON object (or has a duplicate member
 * name, or is not UTF-8, or is longer than the limit) is an error naming file:line.
 */
export async function* readRecords(
  archive: OpenedArchive,
  file: ArchiveFile,
  options: ReadRecordsOptions = {},
): AsyncGenerator<RawRecord | RecordError> {
  const onError = options.onError ?? 'throw';
  const format = file.format ?? formatOfPath(file.path);
  if (!format)
    throw new AuditWsError('BAD_USAGE', `${file.path}: not a data file (.jsonl, .ndjson, .jsonl.gz or .parquet)`, {
      file: file.path,
    });

  const fail = (
    err: RecordError,
    code: 'MALFORMED_RECORD' | 'LIMIT_EXCEEDED' | 'UNREADABLE_INPUT' = 'MALFORMED_RECORD',
  ): RecordError => {
    if (onError === 'yield') return err;
    const where = err.line !== undefined ? `:${err.line}` : err.row !== undefined ? ` row ${err.row}` : '';
    throw new AuditWsError(code, `${err.file}${where}: ${err.message}`, {
      file: err.file,
      line: err.line,
      row: err.row,
    });
  };

  if (format === 'parquet') {
    const rows = parquetRecords(file.absPath, file.path, options.maxRows);
    for (;;) {
      const step = await rows.next();
      if (step.done) {
        if (step.value) {
          if (onError !== 'yield') throw step.value.thrown;
          yield step.value.error;
        }
        return;
      }
      yield isRecordError(step.value) ? fail(step.value) : step.value;
    }
  }

  const lineOptions: LineReaderOptions = { gzip: format === 'jsonl.gz', displayName: file.path };
  if (options.maxLineBytes !== undefined) lineOptions.maxLineBytes = options.maxLineBytes;
  const lines = readLines(file.absPath, lineOptions);
  let lastLine = 0;
  try {
    for await (const ev of lines) {
      lastLine = ev.line;
      if (ev.kind === 'too-long') {
        const message = `line longer than the limit of ${lineOptions.maxLineBytes ?? 64 * 1024 * 1024} bytes (${ev.bytes} bytes), skipped`;
        yield fail({ file: file.path, line: ev.line, message, error: true }, 'LIMIT_EXCEEDED');
        continue;
      }
      if (ev.kind === 'not-utf8') {
        yield fail({ file: file.path, line: ev.line, message: 'line is not valid UTF-8', error: true });
        continue;
      }
      if (ev.crlf) noteOnce(archive, `${file.path}: lines end with CRLF; the \\r is removed before parsing`);
      if (ev.bom) noteOnce(archive, `${file.path}: starts with a UTF-8 byte order mark, which is ignored`);
      const parsed = parseRecordLine(ev.text);
      if (parsed === undefined) continue;
      if (!parsed.ok) {
        yield fail({ file: file.path, line: ev.line, message: parsed.message, error: true });
        continue;
      }
      const rec: RawRecord = { file: file.path, line: ev.line, text: ev.text, value: parsed.value };
      if (parsed.unverifiable) rec.unverifiable = parsed.unverifiable;
      yield rec;
    }
  } catch (err) {
    // A stream that cannot be read on (truncated gzip, a decompression bomb) ends the file with one error.
    if (
      onError === 'yield' &&
      err instanceof AuditWsError &&
      (err.code === 'UNREADABLE_INPUT' || err.code === 'LIMIT_EXCEEDED')
    ) {
      yield { file: file.path, line: lastLine + 1, message: withoutLocation(err.message, file.path), error: true };
      return;
    }
    throw err;
  }
}

/**
 * The one rule for a JSONL line: undefined when blank (only spaces and tabs), else the JSON object it
 * holds, or why it is not one (without location; the caller adds file:line). `unverifiable` says why
 * the object's hash cannot be recomputed from it (a number JSON cannot carry exactly, see jsontext.ts).
 */
export function parseRecordLine(
  text: string,
): undefined | { ok: true; value: Record<string, unknown>; unverifiable?: string } | { ok: false; message: string } {
  if (BLANK.test(text)) return undefined;
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return { ok: false, message: `${parsed.message} (column ${parsed.offset + 1})` };
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { ok: false, message: `is ${describeJsonType(v)}, not a JSON object` };
  }
  if (parsed.inexact) return { ok: true, value: v as Record<string, unknown>, unverifiable: parsed.inexact };
  return { ok: true, value: v as Record<string, unknown> };
}

/**
 * The rows of a Parquet file as records, in order: a row the reader cannot convert is yielded as a
 * RecordError at its row. When DuckDB cannot read the file, or stops reading it, the generator returns
 * that stop: `error` at the row after the last one read (no row when the file could not be opened at
 * all) and the UNREADABLE_INPUT error `thrown` that says so; it returns undefined when every row was read.
 */
export async function* parquetRecords(
  absPath: string,
  path: string,
  maxRows?: number,
): AsyncGenerator<RawRecord | RecordError, { error: RecordError; thrown: AuditWsError } | undefined> {
  let lastRow = 0;
  try {
    // loaded on first use, so threads that only parse JSONL lines (scan workers) never load DuckDB
    const { readParquetRows } = await import('./parquet.ts');
    for await (const r of readParquetRows(absPath, path, maxRows)) {
      lastRow = r.row;
      if (r.error !== undefined || !r.value) {
        yield { file: path, row: r.row, message: r.error ?? 'row cannot be read', error: true };
        continue;
      }
      const rec: RawRecord = { file: path, row: r.row, value: r.value };
      if (r.unverifiable) rec.unverifiable = r.unverifiable;
      yield rec;
    }
  } catch (err) {
    if (!(err instanceof AuditWsError && err.code === 'UNREADABLE_INPUT')) throw err;
    const error: RecordError = { file: path, message: withoutLocation(err.message, path), error: true };
    if (lastRow > 0) error.row = lastRow + 1;
    return { error, thrown: err };
  }
  return undefined;
}

/** RecordError messages carry no location (file, line and row are members of their own). */
function withoutLocation(message: string, path: string): string {
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

/** The data format a path's name announces, or undefined when it is not a data file. */
export function formatOfPath(path: string): ArchiveFile['format'] | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'jsonl';
  if (p.endsWith('.jsonl.gz') || p.endsWith('.ndjson.gz')) return 'jsonl.gz';
  if (p.endsWith('.parquet')) return 'parquet';
  return undefined;
}
