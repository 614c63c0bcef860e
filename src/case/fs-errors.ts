/**
 * Faults of the disk itself, said plainly. A full disk reaches us as ENOSPC (Node), SQLITE_FULL ("database or
 * disk is full") or a DuckDB IO error ("No space left on device"), none of which names the folder; a
 * read-only folder as EROFS, SQLITE_READONLY or SQLITE_CANTOPEN. These helpers turn them into one sentence
 * that names the path, says what happened and what to do (docs/reliability-faults.md).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { AuditWsError } from '../errors.ts';

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isDiskFull(err: unknown): boolean {
  const code = codeOf(err);
  return (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'SQLITE_FULL' ||
    /no space left on device|disk quota exceeded|database or disk is full/i.test(messageOf(err))
  );
}

export function isReadOnlyFs(err: unknown): boolean {
  const code = codeOf(err);
  return (
    code === 'EROFS' ||
    code.startsWith('SQLITE_READONLY') ||
    /read-only file system|attempt to write a readonly database/i.test(messageOf(err))
  );
}

/**
 * A database file that is not what it should be: SQLite's SQLITE_CORRUPT / SQLITE_NOTADB, DuckDB's checksum,
 * header and short-read errors.
 */
export function isDamagedDatabase(err: unknown): boolean {
  const code = codeOf(err);
  return (
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB' ||
    /file is not a database|database disk image is malformed|not a valid DuckDB database file|Corrupt database file|Could not read enough bytes|checksum .* does not match/i.test(
      messageOf(err),
    )
  );
}

/** Whether `dir` can be written (false on a read-only mount, even for root). */
export function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A disk-full or read-only error as an AuditWsError naming `target` (the file or folder being written) and
 * what was being done; any other error is returned unchanged (to be rethrown as it was).
 */
export function diskError(err: unknown, target: string, doing: string): unknown {
  if (err instanceof AuditWsError) return err;
  if (isDiskFull(err)) {
    return new AuditWsError(
      'LIMIT_EXCEEDED',
      `${target}: the disk is full (no space left on device) while ${doing}; free some space there and try again`,
      { file: target, reason: 'disk-full' },
      { cause: err },
    );
  }
  if (isReadOnlyFs(err)) {
    return new AuditWsError(
      'BAD_USAGE',
      `${target}: is on a read-only file system, so ${doing} is not possible there; choose a writable folder`,
      { file: target, reason: 'read-only' },
      { cause: err },
    );
  }
  return err;
}

/**
 * Makes the folder an output is written into (and its parents). A path that is a file or lies inside one is
 * refused as BAD_USAGE naming `dir` ("... so `output` cannot be written there"), with `file` in its details;
 * any other failure is a diskError while `doing`.
 */
export function makeOutputFolder(dir: string, output: string, file: string, doing: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new AuditWsError(
        'BAD_USAGE',
        `${dir}: is a file or lies inside one, so ${output} cannot be written there; choose a folder`,
        { file },
        { cause: err },
      );
    }
    throw diskError(err, dir, doing);
  }
}
