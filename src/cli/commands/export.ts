import path from 'node:path';
import type { Command } from 'commander';
import { resolveInvestigator } from '../../case/custody.ts';
import { Workspace } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { exporterNamed, exporters } from '../../export/exporters/index.ts';
import { csvExportCustody, exportCsv } from '../../export/run.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new AuditWsError('BAD_USAGE', `--param takes key=value, not "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

function listExporters(): string {
  const lines = ['Exporters (audit-ws export NAME --case CASE --out FILE.csv [--param key=value ...]):', ''];
  for (const e of exporters) {
    lines.push(`  ${e.name.padEnd(12)} ${e.description}`);
    for (const p of e.params) lines.push(`      ${p.name}${p.required ? ' (required)' : ''}: ${p.description}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `audit-ws export NAME --case CASE --out FILE.csv`: a streamed RFC 4180 CSV with a sidecar naming the query. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'export a search, timeline, aggregate, records, findings or the custody log as CSV (with a .json sidecar)',
    )
    .argument('[exporter]', 'what to export; --list shows them')
    .option('--case <name>', 'case name or folder name')
    .option('--out <file.csv>', 'CSV file to write; the sidecar is FILE.csv.json')
    .option('--param <key=value>', 'a parameter of the exporter (repeatable)', collectParam, {})
    .option('--bom', 'start the file with a UTF-8 byte order mark (for older Excel)')
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the application-data folder)')
    .option('--investigator <name>', 'who is exporting (default: AUDIT_WS_INVESTIGATOR or the user name)')
    .option('--list', 'list the exporters and their parameters')
    .option('--json', 'print the sidecar as JSON')
    .action(
      async (
        name: string | undefined,
        opts: {
          case?: string;
          out?: string;
          param: Record<string, string>;
          bom?: boolean;
          workspace?: string;
          investigator?: string;
          list?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        if (opts.list || !name) {
          process.stdout.write(listExporters());
          setExitCode(command, EXIT_OK);
          return;
        }
        const exporter = exporterNamed(name);
        if (!opts.case) throw new AuditWsError('BAD_USAGE', 'export needs --case NAME');
        if (!opts.out) throw new AuditWsError('BAD_USAGE', 'export needs --out FILE.csv');
        const actor = resolveInvestigator(opts.investigator);
        const handle = await Workspace.resolve(opts.workspace).open(opts.case, {
          mode: 'write',
          actor,
          purpose: 'audit-ws export',
        });
        try {
          const out = path.resolve(opts.out);
          const result = await exportCsv(exporter, handle, opts.param, out, {
            caseName: handle.info().name,
            actor,
            bom: opts.bom,
            beforePublish: (r) => handle.custody('export.csv', csvExportCustody(r)),
          });
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(result.sidecar, null, 2)}\n`
              : `wrote ${result.sidecar.rows} rows to ${out} (${(result.sidecar.bytes / 1e6).toFixed(1)} MB, SHA-256 ${result.sidecar.sha256}); query and parameters in ${result.sidecarFile}\n`,
          );
          setExitCode(command, EXIT_OK);
        } finally {
          await handle.close();
        }
      },
    );
}
