/**
 * What the investigation commands (timeline, search, anomalies, oversight, fairness) share: the case
 * options, the decision filter options, opening the case read-only with a query context, and small
 * text-table helpers.
 */
import type { Command } from 'commander';
import { Workspace } from '../case/workspace.ts';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { queryContext } from '../query/context.ts';
import type { QueryContext } from '../query/context.ts';
import type { DecisionFilters } from '../query/filters.ts';
import { LOOKUPS } from '../query/lookups.ts';

export interface CaseFlags {
  case: string;
  workspace?: string;
  json?: boolean;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function caseOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--case <name>', 'case name or folder name')
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the application-data folder)')
    .option('--json', 'print the result as JSON');
}

export interface FilterFlags {
  decision?: string;
  trace?: string;
  task?: string;
  user?: string;
  model?: string[];
  modelVersion?: string[];
  riskTier?: string[];
  consequence?: string[];
  environment?: string[];
  category?: string[];
  reviewer?: string[];
  eventType?: string[];
  reviewRequired?: string;
  reviewed?: string;
  override?: string;
  from?: string;
  to?: string;
  text?: string;
}

/** The decision filter options (queries: src/query/filters.ts). */
export function filterOptions(cmd: Command): Command {
  return cmd
    .option('--decision <id>', 'one decision by decisionId')
    .option('--trace <id>', 'the decisions of a traceId')
    .option('--task <id>', 'the decisions of a review taskId')
    .option('--user <id>', "one affected user's decisions (affectedUserId)")
    .option('--model <modelId>', 'decisions of this model (repeatable)', collect)
    .option('--model-version <version>', 'decisions of this model version (repeatable)', collect)
    .option('--risk-tier <tier>', 'riskTier (repeatable)', collect)
    .option('--consequence <level>', 'consequenceLevel (repeatable)', collect)
    .option('--environment <env>', 'environment (repeatable)', collect)
    .option('--category <category>', 'decisionCategory (repeatable)', collect)
    .option('--reviewer <id>', 'the final reviewer, or anyone a review event names (repeatable)', collect)
    .option(
      '--event-type <type>',
      'decisions with a review event of this type: created, assigned, reviewed, escalated, resolved (repeatable)',
      collect,
    )
    .option('--review-required <yes|no>', 'humanReviewRequired')
    .option('--reviewed <yes|no>', 'humanReviewed')
    .option('--override <yes|no>', 'humanOverride')
    .option('--from <time>', 'decisions at or after this time (ISO 8601)')
    .option('--to <time>', 'decisions before this time (ISO 8601)')
    .option(
      '--text <text>',
      'free text over ids: decision, trace, task and affected-user ids equal to or starting with it',
    );
}

function yesNo(flag: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(yes|true|y|1)$/i.test(v)) return true;
  if (/^(no|false|n|0)$/i.test(v)) return false;
  throw new AuditWsError('BAD_USAGE', `${flag} must be yes or no, not "${v}"`);
}

export function filtersFrom(f: FilterFlags): DecisionFilters {
  const out: DecisionFilters = {};
  if (f.decision !== undefined) out.decisionId = f.decision;
  if (f.trace !== undefined) out.traceId = f.trace;
  if (f.task !== undefined) out.taskId = f.task;
  if (f.user !== undefined) out.affectedUserId = f.user;
  if (f.model) out.modelId = f.model;
  if (f.modelVersion) out.modelVersion = f.modelVersion;
  if (f.riskTier) out.riskTier = f.riskTier;
  if (f.consequence) out.consequenceLevel = f.consequence;
  if (f.environment) out.environment = f.environment;
  if (f.category) out.decisionCategory = f.category;
  if (f.reviewer) out.reviewerId = f.reviewer;
  if (f.eventType) out.eventType = f.eventType;
  const required = yesNo('--review-required', f.reviewRequired);
  if (required !== undefined) out.humanReviewRequired = required;
  const reviewed = yesNo('--reviewed', f.reviewed);
  if (reviewed !== undefined) out.humanReviewed = reviewed;
  const override = yesNo('--override', f.override);
  if (override !== undefined) out.humanOverride = override;
  if (f.from !== undefined) out.from = f.from;
  if (f.to !== undefined) out.to = f.to;
  if (f.text !== undefined) out.text = f.text;
  return out;
}

/** Opens the case read-only, runs `fn` with a query context, and closes it. */
export async function withCase<T>(
  flags: CaseFlags,
  fn: (ctx: QueryContext, handle: CaseHandle) => Promise<T>,
): Promise<T> {
  const handle = await Workspace.resolve(flags.workspace).open(flags.case, { mode: 'read' });
  try {
    for (const n of handle.notices) process.stderr.write(`note: ${n}\n`);
    const ctx = await queryContext(handle);
    if (ctx.lookups.size < LOOKUPS.length) {
      process.stderr.write(
        'note: the lookup tables of this case are missing or out of date; id lookups scan whole tables (slower, same results)\n',
      );
    }
    return await fn(ctx, handle);
  } finally {
    await handle.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain-text table: columns padded to their widest cell (cells cut at `max`). */
export function table(header: string[], rows: (string | number | boolean | null | undefined)[][], max = 48): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))].map((r) =>
    r.map((c) => (c.length > max ? `${c.slice(0, max - 1)}…` : c)),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '-' : `${(v * 100).toFixed(digits)}%`;
}

export function wholeNumber(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new AuditWsError('BAD_USAGE', `${flag} must be a whole number, not "${v}"`);
    return Number(v);
  };
}

export function decimal(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new AuditWsError('BAD_USAGE', `${flag} must be a number, not "${v}"`);
    return n;
  };
}
