import type { Command } from 'commander';
import { openCaseSqliteReadOnly, readCaseInfo } from '../../case/store.ts';
import { Workspace } from '../../case/workspace.ts';
import { checkCustodyLog, formatCustodyLine } from '../../report/custody-log.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';

/** `audit-ws custody --case NAME [--verify] [--json]`: lists the case's custody log and checks its hash chain. */
export function registerCustody(program: Command): void {
  program
    .command('custody')
    .description("list a case's custody log (every action on the case, hash-chained) and verify it")
    .requiredOption('--case <name>', 'case name or folder name')
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the application-data folder)')
    .option('--verify', 're-compute every entry hash and link; exit 1 when the log was altered')
    .option('--json', 'print entries and the verification as JSON')
    .action((opts: { case: string; workspace?: string; verify?: boolean; json?: boolean }, command: Command) => {
      const dir = Workspace.resolve(opts.workspace).locate(opts.case);
      const db = openCaseSqliteReadOnly(dir);
      try {
        const info = readCaseInfo(db, dir);
        const checked = checkCustodyLog(db);
        const verification = {
          intact: checked.intact,
          problems: checked.problems,
          headHash: checked.headHash,
          entries: checked.entries.length,
        };
        if (opts.json) {
          const out: Record<string, unknown> = { case: info.name, entries: checked.entries };
          if (opts.verify) out.verification = verification;
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          const lines = [`Custody log of case "${info.name}" (${checked.entries.length} entries)`, ''];
          lines.push(
            `${'seq'.padStart(5)}  ${'at'.padEnd(24)}  ${'actor'.padEnd(16)}  ${'action'.padEnd(20)}  details`,
          );
          for (const e of checked.entries) lines.push(formatCustodyLine(e, process.stdout.columns || 120));
          if (opts.verify) {
            lines.push('');
            if (checked.intact) {
              lines.push(
                `Verified: all ${checked.entries.length} entries match their hashes and link from the first to the last (head ${checked.headHash}).`,
              );
            } else {
              lines.push(
                `ALTERED: the custody log does not verify (${checked.problems.length} problem${checked.problems.length === 1 ? '' : 's'}):`,
              );
              for (const p of checked.problems) lines.push(`  ${p.message}`);
            }
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        setExitCode(command, opts.verify && !checked.intact ? EXIT_FINDINGS : EXIT_OK);
      } finally {
        db.close();
      }
    });
}
