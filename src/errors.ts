/**
 * One error shape for the whole core. It crosses the contract as `{ok:false, code, message, details}`
 * and the CLI prints `message` (never a stack trace) and exits 2 for input/usage errors.
 */
export type ErrorCode =
  | 'BAD_USAGE'
  | 'NOT_FOUND'
  | 'UNREADABLE_INPUT'
  | 'MALFORMED_RECORD'
  | 'UNSAFE_ARCHIVE'
  | 'EMPTY_ARCHIVE'
  | 'LIMIT_EXCEEDED'
  | 'UNSUPPORTED'
  | 'CANCELLED'
  | 'CASE_LOCKED'
  | 'INTERNAL';

export interface ErrorDetails {
  file?: string;
  line?: number;
  row?: number;
  entry?: string;
  [key: string]: unknown;
}

export class AuditWsError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditWsError';
    this.code = code;
    this.details = details;
  }
}

export interface ErrorPayload {
  ok: false;
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

/** Converts anything thrown into the one error shape; unknown errors become INTERNAL with their message. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof AuditWsError) return { ok: false, code: err.code, message: err.message, details: err.details };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, code: 'INTERNAL', message, details: {} };
}

/** "file:line: message" the way compilers print locations, so a person can jump straight there. */
export function locate(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`;
}
