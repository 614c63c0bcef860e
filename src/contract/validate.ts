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

export function optionalString(
  method: string,
  params: Record<string, unknown>,
  member: string,
  maxLength = 4096,
): string | undefined {
  if (params[member] === undefined || params[member] === null) return undefined;
  return requireString(method, params, member, maxLength);
}

/** A whole number within [min, max]; absent gives `fallback` (or undefined). */
export function optionalInteger(
  method: string,
  params: Record<string, unknown>,
  member: string,
  range: { min?: number; max?: number } = {},
  fallback?: number,
): number | undefined {
  const value = params[member];
  if (value === undefined || value === null) return fallback;
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    refuse(method, `"${member}" must be a whole number from ${min} to ${max}`, member);
  }
  return value;
}

export function requireInteger(
  method: string,
  params: Record<string, unknown>,
  member: string,
  range: { min?: number; max?: number } = {},
): number {
  const value = optionalInteger(method, params, member, range);
  if (value === undefined) refuse(method, `"${member}" is required`, member);
  return value;
}

export function optionalBoolean(method: string, params: Record<string, unknown>, member: string): boolean | undefined {
  const value = params[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') refuse(method, `"${member}" must be true or false`, member);
  return value;
}

/** An array of strings (each checked like requireString), at most `maxItems` long; absent gives []. */
export function stringArray(
  method: string,
  params: Record<string, unknown>,
  member: string,
  maxItems = 1000,
  maxLength = 4096,
): string[] {
  const value = params[member];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) refuse(method, `"${member}" must be a list of strings`, member);
  if (value.length > maxItems) refuse(method, `"${member}" holds more than ${maxItems} items`, member);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > maxLength || item.includes('\0')) {
      refuse(method, `"${member}[${i}]" must be a non-empty string of at most ${maxLength} characters`, member);
    }
    return item;
  });
}

export function integerArray(
  method: string,
  params: Record<string, unknown>,
  member: string,
  maxItems = 1000,
): number[] {
  const value = params[member];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > maxItems || !value.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    refuse(method, `"${member}" must be a list of at most ${maxItems} whole numbers`, member);
  }
  return value as number[];
}

/** One of a fixed set of words. */
export function optionalChoice<T extends string>(
  method: string,
  params: Record<string, unknown>,
  member: string,
  choices: readonly T[],
): T | undefined {
  const value = params[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    refuse(method, `"${member}" must be one of ${choices.map((c) => `"${c}"`).join(', ')}`, member);
  }
  return value as T;
}
