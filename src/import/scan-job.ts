/**
 * One data file's pass before it is loaded, as the import's own thread or a scan worker runs it
 * (scan-pool.ts): the case's copy made (a whole copy by the kernel; a .jsonl.gz decompressed by the scan),
 * then the scan (scan.ts) over the bytes that are kept, writing the copy's parts as it goes.
 */
import { constants as fsConstants, copyFileSync } from 'node:fs';
import { AuditWsError, type ErrorCode, type ErrorDetails } from '../errors.ts';
import { CopyPartWriter, type CopyParts } from '../case/source-copies.ts';
import { scanFile, type ScanResult } from './scan.ts';

export interface ScanJob {
  /** The file the scan reads: the copy (`copyFrom` given) or the source itself. */
  path: string;
  /** Copy this file whole into `parts.data` first (the kernel's copy; a clone where the file system can). */
  copyFrom?: string;
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

/** Thrown when the whole copy fails: the caller tells the case's disk from the source (see importer.ts). */
export class CopyFailed extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'CopyFailed';
  }
}

export async function runScanJob(
  job: ScanJob,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<ScanJobResult> {
  if (job.copyFrom !== undefined && job.parts) {
    try {
      copyFileSync(job.copyFrom, job.parts.data, fsConstants.COPYFILE_FICLONE);
    } catch (err) {
      throw new CopyFailed(err);
    }
  }
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
  | { kind: 'copy'; failure: SerializedError }
  | { kind: 'system'; message: string; code?: string; errno?: number; syscall?: string; path?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AuditWsError) return { kind: 'audit', code: err.code, message: err.message, details: err.details };
  if (err instanceof CopyFailed) return { kind: 'copy', failure: serializeError(err.failure) };
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
  if (s.kind === 'copy') return new CopyFailed(deserializeError(s.failure));
  const err = new Error(s.message) as NodeJS.ErrnoException;
  if (s.code !== undefined) err.code = s.code;
  if (s.errno !== undefined) err.errno = s.errno;
  if (s.syscall !== undefined) err.syscall = s.syscall;
  if (s.path !== undefined) err.path = s.path;
  return err;
}
