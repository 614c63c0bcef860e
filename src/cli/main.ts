import { Command, CommanderError } from 'commander';
import { isDamagedDatabase, isDiskFull } from '../case/fs-errors.ts';
import { explainCaseError, onlyOpenedCaseDir } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { commands } from './commands/index.ts';

/** Exit codes of every command: 0 success, 1 findings, 2 bad usage or unreadable input. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_BAD_INPUT = 2;

export function buildProgram(): Command {
  const program = new Command()
    .name(TOOL_NAME)
    .description('AI Audit Workstation: import, verify and investigate AI audit archives offline')
    .version(TOOL_VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the exit code; errors are printed as one plain sentence, never a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code = EXIT_OK;
  program.hook('postAction', (_this, action) => {
    const c = (action as Command & { exitCodeResult?: number }).exitCodeResult;
    if (typeof c === 'number') code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (caught) {
    // A damaged block found by a query of the one case this command opened: named like damage found on opening.
    const caseDir = onlyOpenedCaseDir();
    const err = caseDir === undefined ? caught : explainCaseError(caught, caseDir);
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return EXIT_OK;
      return EXIT_BAD_INPUT;
    }
    if (err instanceof AuditWsError) {
      process.stderr.write(`${TOOL_NAME}: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${TOOL_NAME}: ${plainSentence(err, message)}\n`);
    if (process.env.AUDIT_WS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT_BAD_INPUT;
  }
}

/** Commands set their exit code (e.g. 1 when findings were reported) through this. */
export function setExitCode(command: Command, code: number): void {
  (command as Command & { exitCodeResult?: number }).exitCodeResult = code;
}

/**
 * Faults that reach the top without a file name still get a sentence saying what happened and what to do;
 * anything else is labelled unexpected so it is reported rather than mistaken for a finding.
 */
export function plainSentence(err: unknown, message: string): string {
  if (isDamagedDatabase(err))
    return `a database file of this case is damaged (${message}); the evidence cannot be trusted as stored. Re-import the archives into a new case, or restore the case folder from a backup.`;
  if (isDiskFull(err)) return `the disk is full (${message}); free some space and run the command again.`;
  if (/^Out of Memory Error/i.test(message))
    return `DuckDB ran out of its memory limit (${message}); set AUDIT_WS_DUCKDB_MEMORY (e.g. 4GB) or close other programs and run the command again.`;
  return `unexpected error: ${message}`;
}
