import { ContractError } from '../api.ts';
import type { ShownError } from './types.ts';

/** What to do about an error, by its code, when the core's sentence does not say it already. */
const HINTS: Record<string, string> = {
  CASE_LOCKED: 'Wait for the running task to finish (see Tasks at the top), or cancel it, then try again.',
  NOT_FOUND: 'Check the path or name; paths must be absolute and reachable from this computer.',
  BAD_USAGE: 'Correct the value named above and try again.',
  UNREADABLE_INPUT: 'The file named above cannot be read as expected; open it to check, or import it in lenient mode.',
  UNSAFE_ARCHIVE: 'The archive was refused to protect this computer; extract it by hand and inspect it first.',
  EMPTY_ARCHIVE: 'Choose an archive that holds data files (.jsonl, .jsonl.gz or .parquet).',
  LIMIT_EXCEEDED: 'The input is larger than the workstation accepts in one go; split it or raise the limit.',
  UNSUPPORTED: 'This kind of input is not supported; see the format description in the documentation.',
  CANCELLED: 'Nothing was changed. Start the task again when you are ready.',
  INTERNAL: 'If the workstation server stopped, start it again (npm start) and reload this page.',
};

export function shownError(err: unknown): ShownError {
  if (err instanceof ContractError) return { code: err.code, message: err.message, hint: HINTS[err.code] };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), hint: HINTS.INTERNAL };
}

export function errorFromPayload(error: { code: string; message: string } | undefined): ShownError | undefined {
  return error ? { code: error.code, message: error.message, hint: HINTS[error.code] } : undefined;
}
