import path from 'node:path';
import { AuditWsError } from '../errors.ts';

// Plain checks on untrusted params: every refusal names the method and the member, never a stack trace.

function refuse(method: string, message: string, member?: string): never {
  throw new AuditWsError('BAD_USAGE', `${method}: ${message}`, member === undefined ? { method } : { method, member });
}

/** Params must be a JSON object (absent means {}); members not in `allowed` are refused so typos surface. */
export function expectParams(method: string, params: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) refuse(method, 'params must be a JSON object');
  const record = params as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      refuse(
        method,
        `unknown member "${key}" in params (expected ${allowed.map((a) => `"${a}"`).join(', ') || 'none'})`,
        key,
      );
    }
  }
  return record;
}

export function expectNoParams(method: string, params: unknown): Record<string, never> {
  expectParams(method, params, []);
  return {};
}

export function requireString(
  method: string,
  params: Record<string, unknown>,
  member: string,
  maxLength = 4096,
): string {
  const value = params[member];
  if (typeof value !== 'string' || value.length === 0) refuse(method, `"${member}" must be a non-empty string`, member);
  if (value.length > maxLength) refuse(method, `"${member}" is longer than ${maxLength} characters`, member);
  if (value.includes('\0')) refuse(method, `"${member}" contains a NUL character`, member);
  return value;
}

/** Paths cross the contract absolute: the server's working directory is no business of the UI's. */
export function requireAbsolutePath(method: string, params: Record<string, unknown>, member: string): string {
  const value = requireString(method, params, member);
  if (!path.isAbsolute(value)) refuse(method, `"${member}" must be an absolute path (got "${value}")`, member);
  return path.normalize(value);
}
