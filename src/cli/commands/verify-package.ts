import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import { resolveInvestigator } from '../../case/custody.ts';
import { Workspace } from '../../case/workspace.ts';
import { openPackageAsCase, packageOpenResult } from '../../package/open-case.ts';
import type { PackageOpenResult } from '../../package/open-case.ts';
import { verifyEvidencePackage } from '../../package/verify.ts';
import type { PackageVerifyReport } from '../../package/verify.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';

interface VerifyPackageFlags {
  trust: string[];
  trustTsa: string[];
  openAs?: string;
  workspace?: string;
  investigator?: string;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function formatPackageReport(r: PackageVerifyReport): string {
  const lines = [`Verdict: ${r.verdict.toUpperCase()} - ${r.reason}`, ''];
  if (r.manifest) {
    lines.push(
      `Package of case "${r.manifest.case.name}" by ${r.manifest.creator.investigator}, ${r.manifest.createdAt}`,
    );
    lines.push(
      `Selection: ${r.manifest.selection.by === 'decisions' ? `${r.manifest.selection.decisionIds.length} decisions by id` : r.manifest.selection.query}`,
    );
  }
  lines.push(
    `Files: ${r.files}; records: ${r.records}, proven by inclusion proofs: ${r.provenRecords}; explanation artefacts: ${r.explanations ?? 0}; custody entries: ${r.custody.entries}${r.custody.withheld ? ` (${r.custody.withheld} with details withheld)` : ''}`,
  );
  lines.push(`Package signature: ${r.signature.status} - ${r.signature.reason}`);
  lines.push('');
  for (const c of r.checkpoints) {
    lines.push(
      `  ${c.file}: signature ${c.signature.status}${c.signature.trusted ? ' (pinned key)' : ''}; time-stamp ${c.timestamp.status}${c.timestamp.genTime ? ` ${c.timestamp.genTime}` : ''}`,
    );
  }
  lines.push('');
  lines.push(`${'check'.padEnd(24)}${'pass'.padEnd(8)}${'fail'.padEnd(7)}${'warn'.padEnd(7)}unverifiable`);
  for (const c of r.checks)
    lines.push(
      `${c.id.padEnd(24)}${String(c.pass).padEnd(8)}${String(c.fail).padEnd(7)}${String(c.warn).padEnd(7)}${c.unverifiable}`,
    );
  const shown = r.findings.filter((f) => f.status !== 'pass');
  if (shown.length) {
    lines.push('', `Findings (${shown.length}):`);
    for (const f of shown) lines.push(`  ${f.status.toUpperCase().padEnd(13)}${f.check.padEnd(22)}${f.message}`);
  }
  return lines.join('\n');
}

/**
 * `audit-ws verify-package FILE.zip [--trust KEY.pem] [--trust-tsa CERT.pem] [--open-as NAME]`: the regulator's
 * check, needing no case; with --open-as the package also becomes a read-only case (src/package/open-case.ts)
 * whose verification is this one.
 */
export function registerVerifyPackage(program: Command): void {
  program
    .command('verify-package')
    .description(
      'verify an evidence package on its own: SHA256SUMS, every record hash, every inclusion proof, checkpoint signatures and time-stamps, the custody log',
    )
    .argument('<package>', 'the evidence package (.zip, or its unpacked folder)')
    .option(
      '--trust <key.pem>',
      "trust this public key (the producer's checkpoint key, the investigator's key) or SPKI SHA-256 fingerprint (repeatable)",
      collect,
      [],
    )
    .option('--trust-tsa <cert.pem>', 'trust anchor for RFC 3161 time-stamps (repeatable)', collect, [])
    .option(
      '--open-as <name>',
      'also open the package as a new read-only case of this name: its records in the explorer and timelines, this verification on its dashboard',
    )
    .option(
      '--workspace <dir>',
      'workspace folder for --open-as (default: AUDIT_WS_WORKSPACE or the application-data folder)',
    )
    .option(
      '--investigator <name>',
      'who opens it, for the custody log (default: AUDIT_WS_INVESTIGATOR or the user name)',
    )
    .option('--json', 'print the verification as JSON')
    .action(async (file: string, opts: VerifyPackageFlags, command: Command) => {
      if (!file) throw new AuditWsError('BAD_USAGE', 'give the package to verify');
      const trust = { trustKeys: opts.trust, trustTsa: opts.trustTsa };
      let r: PackageVerifyReport;
      let opened: PackageOpenResult | undefined;
      if (opts.openAs !== undefined) {
        const workspace = Workspace.resolve(opts.workspace);
        const result = await openPackageAsCase(workspace, file, {
          ...trust,
          name: opts.openAs,
          actor: resolveInvestigator(opts.investigator),
        });
        r = result.verification;
        opened = packageOpenResult(result);
      } else r = await verifyEvidencePackage(file, trust);
      if (opts.json) process.stdout.write(`${JSON.stringify(opened ? { ...r, openedAs: opened } : r, null, 2)}\n`);
      else {
        process.stdout.write(`${formatPackageReport(r)}\n`);
        if (opened)
          process.stdout.write(
            `\nOpened as read-only case "${opened.name}" (${opened.case}): ${opened.records} records${opened.explanations ? `, ${opened.explanations} explanation artefacts` : ''}; its verification dashboard shows this check.\n`,
          );
      }
      const failed = r.verdict !== 'intact' || r.findings.some((f) => f.status === 'fail');
      setExitCode(command, failed ? EXIT_FINDINGS : EXIT_OK);
    });
}
