import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveInvestigator } from '../../case/custody.ts';
import { Workspace } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { writeEvidencePackage } from '../../package/write.ts';
import { parseFormats, reportPackageFiles } from '../../report/write.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

/** Decision ids from "a,b c" or "@file" (one id per line). */
export function parseDecisionIds(text: string): string[] {
  const raw = text.startsWith('@') ? readIdsFile(text.slice(1)) : text;
  return raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readIdsFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditWsError('NOT_FOUND', `${file}: cannot read the list of decision ids (${(err as Error).message})`, {
      file,
    });
  }
}

interface PackageFlags {
  case: string;
  out: string;
  select?: string;
  decisions?: string;
  sign?: string;
  related: boolean;
  report: boolean;
  reportFormat: string;
  maxRecords?: number;
  workspace?: string;
  investigator?: string;
  json?: boolean;
}

/** `audit-ws package --case NAME (--select QUERY | --decisions IDS) --out FILE.zip [--sign KEY.pem]`. */
export function registerPackage(program: Command): void {
  program
    .command('package')
    .description(
      'write an evidence package: the selected records as the source held them, RFC 6962 proofs, checkpoints with .sig/.tsr, the report, the custody log and SHA256SUMS',
    )
    .requiredOption('--case <name>', 'case name or folder name')
    .requiredOption('--out <file.zip>', 'the package to write')
    .option('--decisions <ids>', 'decision ids, comma or space separated, or @FILE with one per line')
    .option(
      '--select <condition>',
      'a SQL condition over the decisions table, e.g. "model_version = \'2.1.0\' AND human_override"',
    )
    .option('--sign <key.pem>', "sign SHA256SUMS with the investigator's Ed25519 private key")
    .option('--no-related', 'leave out the review and outcome records of the selected decisions')
    .option('--no-report', 'leave out the report')
    .option('--report-format <list>', 'report formats in the package', 'pdf,html,json,csv')
    .option('--max-records <n>', 'refuse selections of more records than this (default 100000)', (v: string) => {
      if (!/^\d+$/.test(v)) throw new AuditWsError('BAD_USAGE', `--max-records must be a whole number, not "${v}"`);
      return Number(v);
    })
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the application-data folder)')
    .option('--investigator <name>', 'who is exporting (default: AUDIT_WS_INVESTIGATOR or the user name)')
    .option('--json', 'print the package description as JSON')
    .action(async (opts: PackageFlags, command: Command) => {
      if (!opts.decisions === !opts.select)
        throw new AuditWsError('BAD_USAGE', 'give exactly one of --decisions IDS and --select CONDITION');
      const formats = opts.report ? parseFormats(opts.reportFormat) : [];
      const actor = resolveInvestigator(opts.investigator);
      const handle = await Workspace.resolve(opts.workspace).open(opts.case, {
        mode: 'write',
        actor,
        purpose: 'audit-ws package',
      });
      try {
        const selection = opts.decisions
          ? { decisionIds: parseDecisionIds(opts.decisions), related: opts.related, maxRecords: opts.maxRecords }
          : { select: opts.select, related: opts.related, maxRecords: opts.maxRecords };
        const result = await writeEvidencePackage(handle, {
          out: opts.out,
          selection,
          signingKeyFile: opts.sign,
          makeReport: formats.length
            ? (ids) => reportPackageFiles(handle, { investigator: actor, decisionIds: ids }, formats, handle.tempDir())
            : undefined,
        });
        const m = result.manifest;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ file: result.file, sha256: result.sha256, sha256sums: result.sumsSha256, files: result.files, manifest: m }, null, 2)}\n`,
          );
        } else {
          const recs = Object.entries(m.records)
            .map(([s, r]) => `${r.records} ${s}`)
            .join(', ');
          const lines = [
            `Evidence package written to ${result.file}`,
            `  records:     ${recs} (${Object.values(m.records).reduce((a, r) => a + r.anchored, 0)} proven against ${m.checkpoints.length} checkpoints)`,
            `  report:      ${m.report.length ? m.report.filter((f) => !f.endsWith('.json') || f === 'findings.json').join(', ') : 'none'}`,
            `  custody:     ${m.custody.entries} entries${m.custody.withheld ? ` (${m.custody.withheld} with details withheld)` : ''}`,
            `  signature:   ${m.signature ? `Ed25519, key SHA-256 ${m.signature.spkiSha256}` : 'not signed'}`,
            `  SHA-256:     ${result.sha256} (SHA256SUMS ${result.sumsSha256})`,
            `Check it with: audit-ws verify-package ${opts.out}  (or unzip it and run sha256sum -c SHA256SUMS)`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        setExitCode(command, EXIT_OK);
      } finally {
        await handle.close();
      }
    });
}
