import type { Command } from 'commander';
import { DEFAULT_VERIFY_OPTIONS, latestRunSummary, verifyCase } from '../../contract/case-verification.ts';
import { resolveInvestigator } from '../../case/custody.ts';
import { Workspace } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import type { FairnessRequest } from '../../report/context.ts';
import { parseFormats, reportCustody, writeReport } from '../../report/write.ts';
import { isRetentionPolicy, RETENTION_POLICIES } from '../../verify/types.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function wholeNumber(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new AuditWsError('BAD_USAGE', `${flag} must be a whole number, not "${v}"`);
    return Number(v);
  };
}

interface ReportFlags {
  case: string;
  out: string;
  format: string;
  workspace?: string;
  investigator?: string;
  verify?: boolean;
  trust: string[];
  trustTsa: string[];
  retention: string;
  fairness?: string;
  positivePrediction?: string;
  positiveOutcome?: string;
  reference?: string;
  minGroup?: number;
  fairnessModel?: string;
  timeline: string[];
  maxTimelines?: number;
  json?: boolean;
}

/** `audit-ws report --case NAME --out DIR [--format pdf,html,json,csv]`: the regulator-ready report of a case. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'write the report of a case: report.pdf, report.html, findings.json (the same facts for machines) and CSV tables',
    )
    .requiredOption('--case <name>', 'case name or folder name')
    .requiredOption('--out <dir>', 'folder to write the report into')
    .option('--format <list>', 'comma-separated formats: pdf, html, json, csv', 'pdf,html,json,csv')
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the application-data folder)')
    .option('--investigator <name>', 'who the report is by (default: AUDIT_WS_INVESTIGATOR or the user name)')
    .option('--verify', 'run a new verification of the case archives first (one is run anyway when the case has none)')
    .option('--trust <key.pem>', 'for the verification: pin a checkpoint-signing key (repeatable)', collect, [])
    .option('--trust-tsa <cert.pem>', 'for the verification: a TSA trust anchor (repeatable)', collect, [])
    .option('--retention <policy>', `for the verification: ${Object.keys(RETENTION_POLICIES).join(', ')}`, 'eu-ai-act')
    .option('--fairness <attribute>', 'include a fairness analysis of this attribute (e.g. inputFeatures.group)')
    .option('--positive-prediction <value>', 'fairness: the favourable prediction (e.g. approve)')
    .option('--positive-outcome <value>', 'fairness: the favourable observed outcome, for TPR/FPR/FNR/precision')
    .option('--reference <group>', 'fairness: the reference group (default: the largest)')
    .option('--min-group <n>', 'fairness: groups smaller than this are flagged', wholeNumber('--min-group'))
    .option('--fairness-model <modelId>', 'fairness: only this model')
    .option(
      '--timeline <decisionId>',
      "show this decision's timeline (repeatable; default: annotated decisions and anomaly hits)",
      collect,
      [],
    )
    .option('--max-timelines <n>', 'most timelines shown', wholeNumber('--max-timelines'))
    .option('--json', 'print what was written as JSON')
    .action(async (opts: ReportFlags, command: Command) => {
      const formats = parseFormats(opts.format);
      if (!isRetentionPolicy(opts.retention))
        throw new AuditWsError('BAD_USAGE', `unknown retention policy "${opts.retention}"`);
      const fairness: FairnessRequest[] = [];
      if (opts.fairness) {
        if (!opts.positivePrediction)
          throw new AuditWsError('BAD_USAGE', '--fairness needs --positive-prediction VALUE');
        const f: FairnessRequest = { attribute: opts.fairness, positivePrediction: opts.positivePrediction };
        if (opts.positiveOutcome) f.positiveOutcome = opts.positiveOutcome;
        if (opts.reference) f.reference = opts.reference;
        if (opts.minGroup !== undefined) f.minGroup = opts.minGroup;
        if (opts.fairnessModel) f.modelId = opts.fairnessModel;
        fairness.push(f);
      }
      const actor = resolveInvestigator(opts.investigator);
      const handle = await Workspace.resolve(opts.workspace).open(opts.case, {
        mode: 'write',
        actor,
        purpose: 'audit-ws report',
      });
      try {
        for (const n of handle.notices) process.stderr.write(`audit-ws: ${n}\n`);
        if (opts.verify || !latestRunSummary(handle.sqlite)) {
          if (!opts.verify)
            process.stderr.write('audit-ws: the case has no verification run yet; verifying its archives first\n');
          const run = await verifyCase(handle, {
            ...DEFAULT_VERIFY_OPTIONS,
            retention: opts.retention,
            trustKeyFiles: opts.trust,
            trustTsaFiles: opts.trustTsa,
          });
          process.stderr.write(`audit-ws: verification run #${run.id}: ${run.verdict}\n`);
        }
        const written = await writeReport(handle, {
          outDir: opts.out,
          formats,
          investigator: actor,
          fairness,
          ...(opts.timeline.length ? { timelines: opts.timeline } : {}),
          ...(opts.maxTimelines !== undefined ? { maxTimelines: opts.maxTimelines } : {}),
          beforePublish: (w) => handle.custody('report.written', reportCustody(opts.out, formats, w)),
        });
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ out: opts.out, files: written.files, reportDataSha256: written.data.appendix.reportDataSha256, verdict: written.data.summary.verdict }, null, 2)}\n`,
          );
        } else {
          const lines = [`Report of case "${written.data.cover.caseName}" written to ${opts.out}:`];
          for (const f of written.files.filter((x) => !x.path.endsWith('.csv.json')))
            lines.push(`  ${f.path.padEnd(28)} ${String(f.bytes).padStart(10)} bytes  ${f.sha256}`);
          lines.push(
            `Verdict: ${written.data.summary.verdict}. Report data SHA-256 ${written.data.appendix.reportDataSha256}.`,
          );
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        setExitCode(command, EXIT_OK);
      } finally {
        await handle.close();
      }
    });
}
