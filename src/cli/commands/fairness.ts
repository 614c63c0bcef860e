import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import { fairness } from '../../query/fairness.ts';
import type { FairnessParams, FairnessResult, FairnessSlice, ReferenceRule } from '../../query/fairness.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import {
  caseOptions,
  filterOptions,
  filtersFrom,
  pct,
  printJson,
  table,
  wholeNumber,
  withCase,
} from '../query-options.ts';
import type { CaseFlags, FilterFlags } from '../query-options.ts';

interface FairnessFlags extends CaseFlags, FilterFlags {
  attribute: string;
  positivePrediction: string;
  positiveOutcome?: string;
  reference?: string;
  referenceRule?: string;
  minGroup?: number;
  basis?: string;
}

const DISPARITY_FLAGS = ['fails-four-fifths', 'outside-0.8-1.25'];

/** Whether a slice flags a disparity (not merely a small group). */
export function sliceFlagged(s: FairnessSlice): boolean {
  return s.groups.some((g) => g.flags.some((f) => DISPARITY_FLAGS.includes(f)));
}

const ratio = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
const ci = (v: [number, number] | null): string => (v === null ? '-' : `${pct(v[0])}-${pct(v[1])}`);

function sliceTable(s: FairnessSlice, outcomes: boolean): string {
  const header = ['group', 'n', 'selection', '95% CI', 'ratio', 'diff'];
  if (outcomes) header.push('TPR', 'FPR', 'FNR', 'precision');
  header.push('flags');
  return table(
    header,
    s.groups.map((g) => {
      const row: (string | number | null)[] = [
        g.group,
        g.n,
        pct(g.selectionRate),
        ci(g.ci.selectionRate),
        ratio(g.disparateImpact),
        ratio(g.vsReference.selectionRateDiff),
      ];
      if (outcomes) row.push(pct(g.tpr), pct(g.fpr), pct(g.fnr), pct(g.precision));
      row.push(g.flags.join(', '));
      return row;
    }),
  );
}

export function formatFairness(r: FairnessResult): string {
  const outcomes = r.positiveOutcome !== null;
  const lines = [
    `Fairness of ${r.attribute}: positive prediction "${r.positivePrediction}"${outcomes ? `, positive outcome "${r.positiveOutcome}"` : ''}; reference ${r.reference ?? '-'} (${r.referenceRule}); minimum group ${r.minGroupSize}; integrity ${r.integrity.status}`,
    `${r.missing} decisions without the attribute; ${r.excluded.belowMinSize.groups} groups (${r.excluded.belowMinSize.decisions} decisions) below the minimum size; ${r.excluded.noPrediction} without a prediction`,
    '',
    sliceTable(r, outcomes),
  ];
  for (const v of r.byModelVersion) {
    if (v.groups.length === 0) continue;
    lines.push(
      '',
      `${v.modelId} ${v.modelVersion} (reference ${v.reference ?? '-'})${sliceFlagged(v) ? '  DISPARITY' : ''}`,
      sliceTable(v, outcomes),
    );
  }
  const flaggedWeeks = r.byWeek.filter(sliceFlagged);
  lines.push(
    '',
    `By week: ${r.byWeek.length} weeks, ${flaggedWeeks.length} with a disparity${flaggedWeeks.length ? `: ${flaggedWeeks.map((w) => w.week.slice(0, 10)).join(', ')}` : ''}`,
  );
  for (const w of flaggedWeeks)
    lines.push(
      `  week of ${w.week.slice(0, 10)} (reference ${w.reference ?? '-'})`,
      sliceTable(w, outcomes).replace(/^/gm, '  '),
    );
  lines.push('', 'Human overrides by group');
  lines.push(
    table(
      ['group', 'n', 'reviewed', 'overridden', 'override rate', '95% CI', 'ratio', 'flags'],
      r.overrideByGroup.map((g) => [
        g.group,
        g.n,
        g.reviewed,
        g.overridden,
        pct(g.overrideRate),
        ci(g.ci.overrideRate),
        ratio(g.overrideRateRatio),
        g.flags.join(', '),
      ]),
    ),
  );
  for (const n of r.notices) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** `audit-ws fairness --case NAME --attribute PATH --positive-prediction VALUE [...] [--json]`. */
export function registerFairness(program: Command): void {
  filterOptions(
    caseOptions(
      program
        .command('fairness')
        .description(
          'selection and error rates per group of an attribute, against a reference group (exit 1 on a disparity)',
        ),
    ),
  )
    .requiredOption(
      '--attribute <path>',
      'inputFeatures.<name>, contextData.<name>, extra.<name> or a decision member (e.g. riskTier)',
    )
    .requiredOption('--positive-prediction <value>', 'the favourable prediction, e.g. approve')
    .option(
      '--positive-outcome <value>',
      'the favourable observed outcome, e.g. repaid: adds TPR, FPR, FNR and precision',
    )
    .option('--reference <group>', 'the reference group (default: chosen by --reference-rule)')
    .option('--reference-rule <rule>', 'largest or most-favoured (default most-favoured)')
    .option(
      '--min-group <n>',
      'groups smaller than this are flagged, not judged (default 30)',
      wholeNumber('--min-group'),
    )
    .option('--basis <basis>', "model (the model's prediction, default) or final (the human decision where overridden)")
    .action(async (opts: FairnessFlags, command: Command) => {
      const params: FairnessParams = {
        ...filtersFrom(opts),
        attribute: opts.attribute,
        positivePrediction: opts.positivePrediction,
      };
      if (opts.positiveOutcome !== undefined) params.positiveOutcome = opts.positiveOutcome;
      if (opts.reference !== undefined) params.reference = opts.reference;
      if (opts.referenceRule !== undefined) {
        if (opts.referenceRule !== 'largest' && opts.referenceRule !== 'most-favoured') {
          throw new AuditWsError(
            'BAD_USAGE',
            `--reference-rule must be largest or most-favoured, not "${opts.referenceRule}"`,
          );
        }
        params.referenceRule = opts.referenceRule as ReferenceRule;
      }
      if (opts.minGroup !== undefined) params.minGroupSize = opts.minGroup;
      if (opts.basis !== undefined) params.basis = opts.basis as FairnessParams['basis'];
      const r = await withCase(opts, (ctx) => fairness(ctx, params));
      if (opts.json) printJson(r);
      else process.stdout.write(`${formatFairness(r)}\n`);
      const flagged = sliceFlagged(r) || r.byModelVersion.some(sliceFlagged) || r.byWeek.some(sliceFlagged);
      setExitCode(command, flagged ? EXIT_FINDINGS : EXIT_OK);
    });
}
