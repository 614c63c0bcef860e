import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveInvestigator } from '../../case/custody.ts';
import { Workspace } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { queryContext } from '../../query/context.ts';
import { custodyDetails, inputMatch } from '../../query/input-match.ts';
import type { InputMatchResult } from '../../query/input-match.ts';
import { timeline } from '../../query/timeline.ts';
import type { TimelineResult } from '../../query/timeline.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import { caseOptions, printJson, table, wholeNumber, withCase } from '../query-options.ts';
import type { CaseFlags } from '../query-options.ts';

interface TimelineFlags extends CaseFlags {
  decision?: string;
  trace?: string;
  task?: string;
  nearbyHours?: number;
  nearbyLimit?: number;
  input?: string;
  keepInput?: boolean;
  investigator?: string;
}

export function formatTimeline(t: TimelineResult): string {
  const lines: string[] = [
    `Timeline of ${t.subject.by} ${t.subject.id}: ${t.events.length} events, integrity ${t.integrity.status}`,
  ];
  for (const m of t.modelState) {
    const ev = m.lastEvaluation
      ? `, last evaluation ${m.lastEvaluation.passed ? 'passed' : `FAILED (${m.lastEvaluation.failedMetrics.join(', ')})`}`
      : '';
    lines.push(
      `  ${m.decisionId}: ${m.modelId} ${m.modelVersion} was ${m.versionState}; active version then: ${m.activeVersion ?? 'unknown'}${ev}`,
    );
  }
  lines.push('');
  lines.push(
    table(
      ['at', 'kind', 'type', 'summary', 'source', 'integrity'],
      t.events.map((e) => [
        e.at ?? e.atText,
        e.kind,
        e.type,
        e.summary,
        e.ref
          ? `${e.ref.sourceFile}${e.ref.line ? `:${e.ref.line}` : e.ref.row ? ` row ${e.ref.row}` : ''}`
          : String(e.details.path ?? ''),
        `${e.integrity.status}${e.integrity.checkpoint ? ` (${e.integrity.checkpoint.label})` : ''}`,
      ]),
      90,
    ),
  );
  for (const n of t.nearby) {
    lines.push('');
    lines.push(
      `Other decisions of user ${n.affectedUserId} between ${n.from} and ${n.to}: ${n.total}${n.total > n.decisions.length ? ` (first ${n.decisions.length})` : ''}`,
    );
    if (n.decisions.length > 0) {
      lines.push(
        table(
          ['at', 'decision', 'model', 'prediction', 'override'],
          n.decisions.map((d) => [
            d.at,
            d.decisionId,
            `${d.modelId} ${d.modelVersion}`,
            typeof d.prediction === 'string' ? d.prediction : JSON.stringify(d.prediction),
            d.humanOverride,
          ]),
        ),
      );
    }
  }
  for (const n of t.notices) lines.push(`note: ${n}`);
  return lines.join('\n');
}

function formatMatch(m: InputMatchResult): string {
  const lines = [`Input ${m.inputName} (sha256 ${m.inputSha256}) against decision ${m.decisionId}:`];
  for (const r of m.records) {
    lines.push(
      r.matched
        ? `  MATCH: inputHash ${r.inputHash} = ${r.rule}`
        : `  NO MATCH: inputHash ${r.inputHash ?? '(none)'} is none of:`,
    );
  }
  if (!m.matched)
    for (const rule of m.rules) lines.push(`    ${rule.rule.padEnd(28)} ${m.hashes[rule.rule] ?? '(not computable)'}`);
  for (const p of m.problems) lines.push(`  note: ${p}`);
  return lines.join('\n');
}

/** `audit-ws timeline --case NAME --decision ID|--trace ID|--task ID [--input FILE] [--json]`. */
export function registerTimeline(program: Command): void {
  caseOptions(
    program
      .command('timeline')
      .description(
        "everything the case holds about a decision, trace or review task, in time order; --input checks a raw input against the decision's inputHash",
      ),
  )
    .option('--decision <id>', 'a decisionId')
    .option('--trace <id>', 'a traceId')
    .option('--task <id>', 'a review taskId')
    .option(
      '--nearby-hours <n>',
      "hours either side in which the user's other decisions are listed (default 168)",
      wholeNumber('--nearby-hours'),
    )
    .option('--nearby-limit <n>', 'most nearby decisions listed (default 20)', wholeNumber('--nearby-limit'))
    .option(
      '--input <file>',
      "a raw input to check against the decision's inputHash (RFC 8785 or Python json.dumps sort_keys); the check is recorded in the custody log",
    )
    .option(
      '--keep-input',
      'with --input: also keep the input itself in the custody log (by default only its hash is kept)',
    )
    .option('--investigator <name>', 'who is checking the input (default: AUDIT_WS_INVESTIGATOR or the user name)')
    .action(async (opts: TimelineFlags, command: Command) => {
      const params = {
        ...(opts.decision !== undefined ? { decisionId: opts.decision } : {}),
        ...(opts.trace !== undefined ? { traceId: opts.trace } : {}),
        ...(opts.task !== undefined ? { taskId: opts.task } : {}),
        ...(opts.nearbyHours !== undefined ? { nearbyHours: opts.nearbyHours } : {}),
        ...(opts.nearbyLimit !== undefined ? { nearbyLimit: opts.nearbyLimit } : {}),
      };
      if (!opts.input) {
        if (opts.keepInput) throw new AuditWsError('BAD_USAGE', '--keep-input needs --input FILE');
        const t = await withCase(opts, (ctx) => timeline(ctx, params));
        process.stdout.write(opts.json ? `${JSON.stringify(t, null, 2)}\n` : `${formatTimeline(t)}\n`);
        setExitCode(command, EXIT_OK);
        return;
      }
      if (!opts.decision)
        throw new AuditWsError('BAD_USAGE', '--input checks against one decision: give --decision ID');
      let bytes: Buffer;
      try {
        bytes = readFileSync(opts.input);
      } catch (err) {
        throw new AuditWsError('UNREADABLE_INPUT', `${opts.input}: cannot be read (${(err as Error).message})`, {
          file: opts.input,
        });
      }
      // The check is recorded in the custody log, so the case is opened for writing.
      const actor = resolveInvestigator(opts.investigator);
      const handle = await Workspace.resolve(opts.workspace).open(opts.case, {
        mode: 'write',
        actor,
        purpose: 'audit-ws timeline --input',
      });
      try {
        const ctx = await queryContext(handle);
        const t = await timeline(ctx, params);
        const match = await inputMatch(ctx, {
          decisionId: opts.decision,
          input: bytes,
          inputName: path.basename(opts.input),
        });
        const entry = handle.custody('input.checked', custodyDetails(match, opts.keepInput ? bytes : undefined));
        if (opts.json) printJson({ ...t, inputMatch: { ...match, custodySeq: entry.seq } });
        else
          process.stdout.write(
            `${formatTimeline(t)}\n\n${formatMatch(match)}\n  recorded in the custody log as entry ${entry.seq}\n`,
          );
        setExitCode(command, match.matched ? EXIT_OK : EXIT_FINDINGS);
      } finally {
        await handle.close();
      }
    });
}
