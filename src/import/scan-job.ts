/**
 * One data file's scan (scan.ts) as a scan worker runs it (scan-pool.ts), or the import's own thread
 * when no worker is left: over the case's copy of the file (or, for a .jsonl.gz, the source, decompressed
 * into the copy as it goes), writing the copy's part files.
 */
import { AuditWsError, type ErrorCode, type ErrorDetails } from '../errors.ts';
import { CopyPartWriter, type CopyParts } from '../case/source-copies.ts';
import { scanFile, type ScanResult } from './scan.ts';

export interface ScanJob {
  /** The file the scan reads: the copy, or (a .jsonl.gz) the source. */
  path: string;
  parts?: CopyParts;
  format?: string;
  /** Name for messages (the archive-relative path). */
  displayName: string;
  maxLineBytes?: number;
}

export interface ScanJobResult {
  scan: ScanResult;
  /** SHA-256 of a streamed copy's bytes (a decompressed .jsonl.gz). */
  streamedSha256?: string;
}

export async function runScanJob(
  job: ScanJob,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<ScanJobResult> {
  const writer = job.parts ? new CopyPartWriter(job.parts) : undefined;
  let scan: ScanResult;
  try {
    scan = await scanFile(job.path, {
      displayName: job.displayName,
      onBytes,
      ...(job.format !== undefined ? { format: job.format } : {}),
      ...(job.maxLineBytes !== undefined ? { maxLineBytes: job.maxLineBytes } : {}),
      ...(signal ? { signal } : {}),
      ...(writer ? { copy: writer } : {}),
    });
  } catch (err) {
    try {
      writer?.close();
    } catch {
      // the parts are removed by the import that failed
    }
    throw err;
  }
  const streamedSha256 = writer?.close();
  return { scan, ...(streamedSha256 !== undefined ? { streamedSha256 } : {}) };
}

/** An error as plain data, to cross from a worker thread (structured clone drops classes and most fields). */
export type SerializedError =
  | { kind: 'audit'; code: ErrorCode; message: string; details: ErrorDetails }
  | { kind: 'system'; message: string; code?: string; errno?: number; syscall?: string; path?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AuditWsError) return { kind: 'audit', code: err.code, message: err.message, details: err.details };
  const e = err as NodeJS.ErrnoException;
  return {
    kind: 'system',
    message: e instanceof Error ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.errno === 'number' ? { errno: e.errno } : {}),
    ...(typeof e?.syscall === 'string' ? { syscall: e.syscall } : {}),
    ...(typeof e?.path === 'string' ? { path: e.path } : {}),
  };
}

export function deserializeError(s: SerializedError): Error {
  if (s.kind === 'audit') return new AuditWsError(s.code, s.message, s.details);
  const err = new Error(s.message) as NodeJS.ErrnoException;
  if (s.code !== undefined) err.code = s.code;
  if (s.errno !== undefined) err.errno = s.errno;
  if (s.syscall !== undefined) err.syscall = s.syscall;
  if (s.path !== undefined) err.path = s.path;
  return err;
}
