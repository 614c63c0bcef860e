import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import { oversight } from '../../query/oversight.ts';
import type { OversightParams, OversightResult } from '../../query/oversight.ts';
import { EXIT_OK, setExitCode } from '../main.ts';
import {
  caseOptions,
  decimal,
  filterOptions,
  filtersFrom,
  pct,
  printJson,
  table,
  wholeNumber,
  withCase,
} from '../query-options.ts';
import type { CaseFlags, FilterFlags } from '../query-options.ts';

interface OversightFlags extends CaseFlags, FilterFlags {
  bucket?: string;
  shortReviewSeconds?: number;
  maxEscalations?: number;
}

const secs = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} s`);

export function formatOversight(r: OversightResult): string {
  const o = r.overall;
  const lines = [
    `${o.decisions} decisions; review required ${o.reviewRequired}, reviewed ${o.reviewed} (coverage ${pct(o.reviewCoverage)}), overridden ${o.overrides} (${pct(o.overrideRate)} of reviewed)`,
    `${o.reviews} reviews, median ${secs(o.medianReviewSeconds)}, ${o.shortReviews} under ${r.params.shortReviewSeconds} s; ${o.escalations} escalations, ${r.escalationLoops.total} escalation loops; integrity ${r.integrity.status}`,
    '',
    'Per reviewer',
    table(
      [
        'reviewer',
        'reviews',
        'approve',
        'reject',
        'modify',
        'override',
        'median',
        'p10',
        'short',
        'esc. from',
        'esc. to',
      ],
      r.byReviewer.map((x) => [
        x.reviewerId,
        x.reviews,
        x.approvals,
        x.rejections,
        x.modifications,
        pct(x.overrideRate),
        secs(x.medianReviewSeconds),
        secs(x.p10ReviewSeconds),
        x.shortReviews,
        x.escalatedFrom,
        x.escalatedTo,
      ]),
    ),
    '',
    'Per model version',
    table(
      [
        'model',
        'version',
        'decisions',
        'required',
        'reviewed',
        'coverage',
        'overrides',
        'override rate',
        'median review',
      ],
      r.byModelVersion.map((x) => [
        x.modelId,
        x.modelVersion,
        x.decisions,
        x.reviewRequired,
        x.reviewed,
        pct(x.reviewCoverage),
        x.overrides,
        pct(x.overrideRate),
        secs(x.medianReviewSeconds),
      ]),
    ),
    '',
    `Per ${r.params.bucket}`,
    table(
      [
        r.params.bucket,
        'decisions',
        'required',
        'reviewed',
        'coverage',
        'overrides',
        'override rate',
        'reviews',
        'median review',
        'short',
      ],
      r.overTime.map((x) => [
        x.bucket.slice(0, 10),
        x.decisions,
        x.reviewRequired,
        x.reviewed,
        pct(x.reviewCoverage),
        x.overrides,
        pct(x.overrideRate),
        x.reviews,
        secs(x.medianReviewSeconds),
        x.shortReviews,
      ]),
    ),
  ];
  if (r.escalationLoops.tasks.length > 0) {
    lines.push('', 'Escalation loops');
    for (const t of r.escalationLoops.tasks)
      lines.push(
        `  ${t.taskId} (${t.decisionId ?? '-'}): ${t.escalations} escalations, ${t.chain.join(' -> ')}${t.repeatedReviewer ? ' (back to an earlier reviewer)' : ''}`,
      );
  }
  return lines.join('\n');
}

/** `audit-ws oversight --case NAME [filters] [--bucket day|week|month] [--json]`. */
export function registerOversight(program: Command): void {
  filterOptions(
    caseOptions(
      program
        .command('oversight')
        .description(
          'human oversight: review, override and escalation rates and review times per reviewer, model version and period',
        ),
    ),
  )
    .option('--bucket <period>', 'day, week or month', 'week')
    .option(
      '--short-review-seconds <n>',
      'reviews shorter than this are counted as short (default 10)',
      decimal('--short-review-seconds'),
    )
    .option(
      '--max-escalations <n>',
      'a task escalated more often than this is a loop (default 2)',
      wholeNumber('--max-escalations'),
    )
    .action(async (opts: OversightFlags, command: Command) => {
      if (opts.bucket && !['day', 'week', 'month'].includes(opts.bucket))
        throw new AuditWsError('BAD_USAGE', `--bucket must be day, week or month, not "${opts.bucket}"`);
      const params: OversightParams = {
        ...filtersFrom(opts),
        bucket: (opts.bucket ?? 'week') as OversightParams['bucket'],
      };
      if (opts.shortReviewSeconds !== undefined) params.shortReviewSeconds = opts.shortReviewSeconds;
      if (opts.maxEscalations !== undefined) params.maxEscalations = opts.maxEscalations;
      const r = await withCase(opts, (ctx) => oversight(ctx, params));
      if (opts.json) printJson(r);
      else process.stdout.write(`${formatOversight(r)}\n`);
      setExitCode(command, EXIT_OK);
    });
}
