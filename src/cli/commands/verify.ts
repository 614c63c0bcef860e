import type { Command } from 'commander';
import { openArchive, type OpenedArchive } from '../../archive/open.ts';
import { AuditWsError } from '../../errors.ts';
import { resolveInvestigator } from '../../case/custody.ts';
import { CaseHandle } from '../../case/store.ts';
import { verifyCase } from '../../verify/case-run.ts';
import { verifyArchives, type VerifyReport } from '../../verify/engine.ts';
import {
  isRetentionPolicy,
  RETENTION_POLICIES,
  type RetentionPolicyName,
  type VerifyProgress,
} from '../../verify/types.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import { addWorkspaceOptions, workspaceOf, type WorkspaceOptions } from './case.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

function duration(s: number): string {
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.round(s)}s`;
}

/** A progress event with the rates and time left, as `--progress json` prints it. */
export interface VerifyProgressStatus extends VerifyProgress {
  elapsedMs: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
  /** at the current byte rate; absent until some bytes are done, and once all are */
  etaSeconds?: number;
}

export function progressStatus(p: VerifyProgress, elapsedMs: number): VerifyProgressStatus {
  const secs = elapsedMs / 1000;
  const bytesPerSecond = secs > 0 ? p.bytesDone / secs : 0;
  const status: VerifyProgressStatus = {
    ...p,
    elapsedMs,
    recordsPerSecond: secs > 0 ? p.recordsDone / secs : 0,
    bytesPerSecond,
  };
  if (bytesPerSecond > 0 && p.bytesDone < p.bytesTotal)
    status.etaSeconds = Math.max(0, (p.bytesTotal - p.bytesDone) / bytesPerSecond);
  return status;
}

/** One line, redrawn in place: bar, share of bytes, bytes, records, rate, ETA, where the walk is. */
export function verifyProgressLine(s: VerifyProgressStatus, width = 100): string {
  const frac = s.bytesTotal > 0 ? Math.min(1, s.bytesDone / s.bytesTotal) : 0;
  const barWidth = 24;
  const filled = Math.round(frac * barWidth);
  const parts = [
    'verifying',
    `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`,
    `${Math.round(frac * 100)}%`.padStart(4),
    `${bytes(s.bytesDone)}/${bytes(s.bytesTotal)}`,
    `${s.recordsDone} rec`,
    `${Math.round(s.recordsPerSecond)} rec/s`,
    s.etaSeconds !== undefined ? `ETA ${duration(s.etaSeconds)}` : `${duration(s.elapsedMs / 1000)} elapsed`,
    s.phase,
  ];
  const line = parts.join('  ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/**
 * Draws the engine's progress events on stderr: a line redrawn in place (`bar`) or one JSON object per
 * line (`json`). Events come per scanned byte range; the bar is redrawn at most ten times a second, the
 * first and the last event always.
 */
class ProgressPrinter {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;
  constructor(
    private readonly how: 'bar' | 'json',
    private readonly out: NodeJS.WriteStream,
  ) {}

  readonly update = (p: VerifyProgress): void => {
    const now = Date.now();
    const last = p.bytesTotal > 0 && p.bytesDone >= p.bytesTotal;
    if (this.how === 'bar' && this.drawn && !last && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const status = progressStatus(p, now - this.started);
    if (this.how === 'json') {
      this.out.write(`${JSON.stringify(status)}\n`);
      return;
    }
    // a terminal's width; forced onto a pipe or file, the whole line
    this.out.write(`\r${verifyProgressLine(status, this.out.columns ? this.out.columns - 1 : 200)}\u001b[K`);
    this.drawn = true;
  };

  /** Clears the bar so the report starts on a clean line. */
  end(): void {
    if (this.drawn) this.out.write('\r\u001b[K');
    this.drawn = false;
  }
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
  progress?: string;
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
    .option('--json', 'print the report as JSON')
    .option(
      '--progress <how>',
      "'bar' (default when stderr is a terminal and --json is not given), 'json' (one JSON object per line on stderr) or 'none'",
    );
  addWorkspaceOptions(cmd).action(async (paths: string[], opts: VerifyCliOptions, command: Command) => {
    if (paths.length === 0 && !opts.case)
      throw new AuditWsError('BAD_USAGE', 'Give at least one archive to verify, or --case NAME.');
    if (paths.length > 0 && opts.case) throw new AuditWsError('BAD_USAGE', 'Give archives or --case NAME, not both.');
    if (!isRetentionPolicy(opts.retention))
      throw new AuditWsError(
        'BAD_USAGE',
        `Unknown retention policy "${opts.retention}"; choose one of ${Object.keys(RETENTION_POLICIES).join(', ')}.`,
      );
    const workers = opts.workers === undefined ? undefined : Number(opts.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
      throw new AuditWsError('BAD_USAGE', '--workers takes a whole number, 0 or more.');
    const how = opts.progress ?? (process.stderr.isTTY === true && !opts.json ? 'bar' : 'none');
    if (how !== 'bar' && how !== 'json' && how !== 'none')
      throw new AuditWsError('BAD_USAGE', `--progress must be bar, json or none, not "${how}".`);
    const progress = how === 'none' ? undefined : new ProgressPrinter(how, process.stderr);
    const options = {
      trustKeys: opts.trust,
      trustFingerprints: opts.trustFingerprint,
      trustTsa: opts.trustTsa,
      retention: opts.retention as RetentionPolicyName,
      workers,
      onProgress: progress?.update,
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
        const run = await verifyCase(handle, options).finally(() => progress?.end());
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
        progress?.end();
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
