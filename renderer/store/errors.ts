import { ContractError } from '../api.ts';
import type { ShownError } from './types.ts';

export function shownError(err: unknown): ShownError {
  if (err instanceof ContractError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
