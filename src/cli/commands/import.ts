import type { Command } from 'commander';
import { buildLookups } from '../../query/lookups.ts';
import { resolveInvestigator } from '../../case/custody.ts';
import { importArchives } from '../../import/importer.ts';
import type { ImportResult } from '../../import/importer.ts';
import { planImport } from '../../import/planner.ts';
import type { ImportProgress } from '../../import/progress.ts';
import { AuditWsError, locate } from '../../errors.ts';
import { EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import { addWorkspaceOptions, workspaceOf } from './case.ts';
import type { WorkspaceOptions } from './case.ts';

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

/** One line, redrawn in place: phase, bar, bytes, records, rate, ETA, file. */
export function progressLine(p: ImportProgress, width = 100): string {
  const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
  const barWidth = 24;
  const filled = Math.round(frac * barWidth);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
  const parts = [
    p.phase.padEnd(10),
    bar,
    `${Math.round(frac * 100)}%`.padStart(4),
    `${bytes(p.bytesDone)}/${bytes(p.bytesTotal)}`,
    `${p.recordsDone} rec`,
    `${Math.round(p.recordsPerSecond)} rec/s`,
  ];
  if (p.etaSeconds !== undefined && p.phase !== 'done') parts.push(`ETA ${duration(p.etaSeconds)}`);
  let line = parts.join('  ');
  if (p.file) line += `  ${p.file}`;
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function formatResult(r: ImportResult, caseName: string, created: boolean): string {
  const lines: string[] = [];
  if (created) lines.push(`created case "${caseName}"`);
  const verb = r.status === 'done' ? 'imported' : r.status === 'cancelled' ? 'cancelled' : 'FAILED';
  lines.push(
    `import #${r.importId} ${verb}: ${r.counts.records} records from ${r.counts.dataFiles - r.counts.skippedFiles} data file(s) in ${(r.durationMs / 1000).toFixed(1)} s`,
  );
  if (r.error) lines.push(`  ${r.error}`);
  for (const [stream, s] of Object.entries(r.counts.byStream))
    lines.push(`  ${stream.padEnd(20)} ${s.kind.padEnd(10)} ${s.records}`);
  for (const f of r.files.filter((x) => x.skipped)) lines.push(`  skipped ${f.path}: ${f.skipped}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.rejectsTotal > 0) {
    lines.push(`${r.counts.rejected} record(s) rejected, ${r.counts.noted} problem(s) noted:`);
    for (const j of r.rejects.slice(0, 50)) {
      const where = j.row !== undefined ? `${j.file} row ${j.row}` : locate(j.file, j.line);
      lines.push(`  ${where}: ${j.disposition === 'noted' ? '(noted) ' : ''}${j.reason}`);
    }
    if (r.rejectsTotal > 50)
      lines.push(`  ... and ${r.rejectsTotal - 50} more (audit-ws case show, or the rejects table of case.sqlite)`);
  }
  return lines.join('\n');
}

export function registerImport(program: Command): void {
  addWorkspaceOptions(program.command('import'))
    .description('import archives into a case (created when it does not exist), all or nothing')
    .argument('<archive...>', 'folders, .zip, .tar, .tar.gz, or .jsonl / .ndjson / .jsonl.gz / .parquet files')
    .requiredOption('--case <name>', 'the case to import into')
    .option('--strict', 'import nothing if any record is rejected or any problem is noted')
    .option('--force', 'load data files again even when an earlier import loaded the same bytes')
    .option('--json', 'print the result as JSON')
    .option('--progress <how>', "'bar' (default on a terminal), 'json' (one JSON object per line on stderr) or 'none'")
    .action(
      async (
        archives: string[],
        opts: WorkspaceOptions & { case: string; strict?: boolean; force?: boolean; json?: boolean; progress?: string },
        command: Command,
      ) => {
        // Open every input first: a missing or unsafe archive is refused before any case is created.
        const plan = await planImport(archives);
        const controller = new AbortController();
        let interrupts = 0;
        const onSigint = (): void => {
          interrupts++;
          if (interrupts > 1) process.exit(130);
          process.stderr.write('\ncancelling the import (press Ctrl-C again to quit at once)\n');
          controller.abort();
        };
        process.on('SIGINT', onSigint);
        const how = opts.progress ?? (process.stderr.isTTY === true ? 'bar' : 'none');
        if (!['bar', 'json', 'none'].includes(how))
          throw new AuditWsError('BAD_USAGE', `--progress must be bar, json or none, not "${how}"`);
        let drawn = false;
        const onProgress =
          how === 'bar'
            ? (p: ImportProgress) => {
                process.stderr.write(`\r${progressLine(p, (process.stderr.columns || 100) - 1)}\u001b[K`);
                drawn = true;
              }
            : how === 'json'
              ? (p: ImportProgress) => process.stderr.write(`${JSON.stringify(p)}\n`)
              : undefined;
        try {
          const actor = resolveInvestigator(opts.investigator);
          const { handle, created } = await workspaceOf(opts).openOrCreate(opts.case, {
            actor,
            purpose: 'audit-ws import',
          });
          for (const n of handle.notices) process.stderr.write(`note: ${n}\n`);
          let result: ImportResult;
          try {
            result = await importArchives(handle, plan, {
              strict: opts.strict,
              force: opts.force,
              signal: controller.signal,
              onProgress,
            });
            // the lookup tables the investigation queries use; built once per import, not per query
            if (result.status === 'done') await buildLookups(handle.duck);
          } finally {
            if (drawn) process.stderr.write('\r\u001b[K');
            await handle.close();
          }
          process.stdout.write(
            opts.json
              ? `${JSON.stringify({ case: opts.case, created, ...result }, null, 2)}\n`
              : `${formatResult(result, opts.case, created)}\n`,
          );
          setExitCode(
            command,
            result.status !== 'done' ? EXIT_BAD_INPUT : result.rejectsTotal > 0 ? EXIT_FINDINGS : EXIT_OK,
          );
        } finally {
          process.off('SIGINT', onSigint);
          await plan.close();
        }
      },
    );
}
