/**
 * Query `input-match`: does a raw input, held by an incident responder from the access-controlled
 * primary store, hash to a decision's `inputHash` under the producer's rule (input-hash.ts)? The input
 * is read, hashed and forgotten: only its SHA-256 and the verdict go into the custody log, unless the
 * investigator asks to keep the input in the case.
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import type { QueryContext } from './context.ts';
import { refColumnsSql, refOf } from './integrity.ts';
import type { Integrity, RowRef } from './integrity.ts';
import { INPUT_HASH_RULES, inputHashes } from './input-hash.ts';
import type { InputHashRule, InputHashes } from './input-hash.ts';
import { rowsByKey } from './lookups.ts';

export interface InputMatchParams {
  decisionId: string;
  /** The raw input's bytes, and a name for it in messages and the custody log (a file name, never its content). */
  input: Buffer;
  inputName: string;
}

export interface InputMatchResult {
  decisionId: string;
  inputName: string;
  /** SHA-256 of the input file as given (what the custody log records). */
  inputSha256: string;
  /** Per decision record with that id (usually one). */
  records: {
    inputHash: string | null;
    matched: boolean;
    rule: InputHashRule | null;
    ref: RowRef;
    integrity: Integrity;
  }[];
  /** Some record's inputHash equals the input's hash under one of the rules. */
  matched: boolean;
  hashes: Omit<InputHashes, 'problems'>;
  rules: typeof INPUT_HASH_RULES;
  problems: string[];
}

export async function inputMatch(ctx: QueryContext, params: InputMatchParams): Promise<InputMatchResult> {
  if (!params.decisionId) throw new AuditWsError('BAD_USAGE', 'input match needs a decision id');
  const rows = await rowsByKey(
    ctx.duck,
    ctx.lookups,
    KIND_TABLES.decision,
    'decision_id',
    params.decisionId,
    `x.input_hash AS input_hash, ${refColumnsSql('x')}`,
  );
  if (rows.length === 0)
    throw new AuditWsError('NOT_FOUND', `the case holds no decision with decision id "${params.decisionId}"`);
  const { problems, ...hashes } = inputHashes(params.input, params.inputName);
  const records = rows.map((r) => {
    const claimed = typeof r.input_hash === 'string' ? r.input_hash.toLowerCase() : null;
    const rule = claimed === null ? null : (INPUT_HASH_RULES.find((x) => hashes[x.rule] === claimed)?.rule ?? null);
    const ref = refOf('decisions', r);
    return {
      inputHash: typeof r.input_hash === 'string' ? r.input_hash : null,
      matched: rule !== null,
      rule,
      ref,
      integrity: ctx.integrity.of(ref),
    };
  });
  if (records.every((r) => r.inputHash === null))
    problems.push(`decision ${params.decisionId} has no inputHash to compare with`);
  return {
    decisionId: params.decisionId,
    inputName: params.inputName,
    inputSha256: hashes['file-bytes'],
    records,
    matched: records.some((r) => r.matched),
    hashes,
    rules: INPUT_HASH_RULES,
    problems,
  };
}

/**
 * What the custody log records of a check: the verdict and the input's hashes, and the input itself
 * only when the investigator chose to keep it.
 */
export function custodyDetails(result: InputMatchResult, keepInput?: Buffer): Record<string, unknown> {
  const details: Record<string, unknown> = {
    decisionId: result.decisionId,
    inputName: result.inputName,
    inputSha256: result.inputSha256,
    matched: result.matched,
    rule: result.records.find((r) => r.matched)?.rule ?? null,
    inputHash: result.records[0]?.inputHash ?? null,
    hashes: result.hashes,
    inputKept: keepInput !== undefined,
  };
  if (keepInput !== undefined) details.input = keepInput.toString('base64');
  return details;
}
