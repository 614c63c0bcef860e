import type { Command } from 'commander';
import { openArchive, type OpenedArchive } from '../../archive/open.ts';
import { AuditWsError } from '../../errors.ts';
import { resolveInvestigator } from '../../case/custody.ts';
import { CaseHandle } from '../../case/store.ts';
import { verifyCase } from '../../verify/case-run.ts';
import { verifyArchives, type VerifyReport } from '../../verify/engine.ts';
import { RETENTION_POLICIES, type RetentionPolicyName } from '../../verify/types.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import { addWorkspaceOptions, workspaceOf, type WorkspaceOptions } from './case.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`Verdict: ${report.verdict.toUpperCase()} - ${report.reason}`);
  lines.push('');
  lines.push(
    `${pad('stream', 14)}${pad('verdict', 14)}${pad('records', 10)}${pad('seq', 16)}${pad('checkpoints', 13)}anchored`,
  );
  for (const s of Object.values(report.streams)) {
    const seq = s.firstSeq === undefined ? '-' : `${s.firstSeq}-${s.lastSeq}`;
    lines.push(
      `${pad(s.name, 14)}${pad(s.verdict, 14)}${pad(String(s.records), 10)}${pad(seq, 16)}${pad(String(s.checkpoints), 13)}${s.anchoredRecords}`,
    );
  }
  lines.push('');
  lines.push(`${pad('check', 24)}${pad('pass', 9)}${pad('fail', 7)}${pad('warn', 7)}unverifiable`);
  for (const c of report.checks)
    lines.push(
      `${pad(c.id, 24)}${pad(String(c.pass), 9)}${pad(String(c.fail), 7)}${pad(String(c.warn), 7)}${c.unverifiable}`,
    );
  if (report.findings.length > 0) {
    lines.push('');
    lines.push(
      `Findings (${report.findings.length}${report.findingsDropped ? `, ${report.findingsDropped} more not kept` : ''}):`,
    );
    for (const f of report.findings) {
      const loc = f.file ? ` ${f.file}${f.line ? `:${f.line}` : f.row ? ` row ${f.row}` : ''}` : '';
      lines.push(
        `  ${pad(f.status.toUpperCase(), 13)}${pad(f.check, 22)}${f.stream ?? '-'}${f.seq !== undefined ? ` seq ${f.seq}` : ''}${loc}: ${f.message}`,
      );
    }
  }
  return lines.join('\n');
}

type VerifyCliOptions = WorkspaceOptions & {
  case?: string;
  trust: string[];
  trustFingerprint: string[];
  trustTsa: string[];
  retention: string;
  workers?: string;
  json?: boolean;
};

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description(
      'Verify archives offline: record hashes, links, checkpoints, signatures, time-stamps and the S3 manifest',
    )
    .argument(
      '[archives...]',
      'archive folders, .zip, .tar or .tar.gz files (several: verified as one body of evidence)',
    )
    .option('--case <name>', 'verify every archive imported into this case and save the run in the case')
    .option('--trust <key.pem>', 'pin a checkpoint-signing public key (repeatable)', collect, [])
    .option(
      '--trust-fingerprint <sha256>',
      'pin a signing key by its SPKI SHA-256 fingerprint (repeatable)',
      collect,
      [],
    )
    .option('--trust-tsa <cert.pem>', 'trust anchor for RFC 3161 time-stamps (repeatable)', collect, [])
    .option('--retention <policy>', `retention policy: ${Object.keys(RETENTION_POLICIES).join(', ')}`, 'eu-ai-act')
    .option('--workers <n>', 'scan worker threads (default: one per core; 0: none)')
    .option('--json', 'print the report as JSON');
  addWorkspaceOptions(cmd).action(async (paths: string[], opts: VerifyCliOptions, command: Command) => {
    if (paths.length === 0 && !opts.case)
      throw new AuditWsError('BAD_USAGE', 'Give at least one archive to verify, or --case NAME.');
    if (paths.length > 0 && opts.case) throw new AuditWsError('BAD_USAGE', 'Give archives or --case NAME, not both.');
    if (!(opts.retention in RETENTION_POLICIES))
      throw new AuditWsError(
        'BAD_USAGE',
        `Unknown retention policy "${opts.retention}"; choose one of ${Object.keys(RETENTION_POLICIES).join(', ')}.`,
      );
    const workers = opts.workers === undefined ? undefined : Number(opts.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
      throw new AuditWsError('BAD_USAGE', '--workers takes a whole number, 0 or more.');
    const options = {
      trustKeys: opts.trust,
      trustFingerprints: opts.trustFingerprint,
      trustTsa: opts.trustTsa,
      retention: opts.retention as RetentionPolicyName,
      workers,
    };
    let report: VerifyReport;
    let note = '';
    if (opts.case) {
      const actor = resolveInvestigator(opts.investigator);
      const handle = await CaseHandle.open(workspaceOf(opts).locate(opts.case), {
        mode: 'write',
        actor,
        purpose: 'audit-ws verify',
      });
      try {
        const run = await verifyCase(handle, options);
        report = run.report;
        const c = run.comparison;
        note = c.previousRunId
          ? `Run #${run.runId} saved in the case. Compared with run #${c.previousRunId} (${c.previousVerdict}): ${c.newFindings} new, ${c.resolvedFindings} resolved, ${c.unchangedFindings} unchanged findings.`
          : `Run #${run.runId} saved in the case (its first verification).`;
        if (opts.json) (report as VerifyReport & { run?: unknown }).run = { id: run.runId, comparison: c };
      } finally {
        await handle.close();
      }
    } else {
      const archives: OpenedArchive[] = [];
      try {
        for (const p of paths) archives.push(await openArchive(p));
        report = await verifyArchives(archives, options);
      } finally {
        for (const a of archives) await a.close();
      }
    }
    process.stdout.write(
      opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n${note ? `\n${note}\n` : ''}`,
    );
    const failed = report.verdict !== 'intact' || report.findings.some((f) => f.status === 'fail');
    setExitCode(command, failed ? EXIT_FINDINGS : EXIT_OK);
  });
}
