import type { Command } from 'commander';
import { formatInspectReport, inspectArchive } from '../../archive/inspect.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

/** `audit-ws inspect ARCHIVE [--json]`: what an archive holds and lacks, before any verification. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show what an archive holds: kinds, streams, record counts, checkpoints, manifest, keys')
    .argument('<archive>', 'folder, .zip, .tar, .tar.gz, or a single .jsonl/.ndjson/.jsonl.gz/.parquet file')
    .option('--json', 'print the report as JSON')
    .action(async (archive: string, opts: { json?: boolean }, command: Command) => {
      const report = await inspectArchive(archive);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
      setExitCode(command, EXIT_OK);
    });
}
