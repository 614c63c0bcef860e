import type { Command } from 'commander';
import { resolveInvestigator, readCustody, verifyCustody } from '../../case/custody.ts';
import { CaseHandle, openCaseSqliteReadOnly } from '../../case/store.ts';
import { Workspace } from '../../case/workspace.ts';
import type { CaseSummary } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

/** Options every case-related command takes. */
export interface WorkspaceOptions {
  workspace?: string;
  investigator?: string;
}

export function addWorkspaceOptions(cmd: Command): Command {
  return cmd
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE, else the per-user app-data folder)')
    .option(
      '--investigator <name>',
      'who is acting, for the custody log (default: AUDIT_WS_INVESTIGATOR, else the OS user)',
    );
}

export function workspaceOf(opts: WorkspaceOptions): Workspace {
  return Workspace.resolve(opts.workspace);
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function formatSummary(s: CaseSummary): string {
  const state = s.inUseBy
    ? `in use by ${s.inUseBy}`
    : s.interruptedImports > 0
      ? `${s.interruptedImports} interrupted import(s)`
      : '';
  return `${s.name}  (${s.slug})  ${s.totals.records} records from ${s.totals.imports} import(s)${s.totals.rejected ? `, ${s.totals.rejected} rejected` : ''}${state ? `  [${state}]` : ''}`;
}

interface ImportRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  status: string;
  actor: string;
  inputs: string;
  counts: string | null;
  error: string | null;
}

/** Everything `case show` prints: the case, its imports, source files and the state of its custody log. */
export function describeCase(ws: Workspace, nameOrSlug: string): Record<string, unknown> {
  const dir = ws.locate(nameOrSlug);
  const summary = ws.summary(dir);
  const db = openCaseSqliteReadOnly(dir);
  try {
    const imports = (db.prepare('SELECT * FROM imports ORDER BY id').all() as ImportRow[]).map((r) => ({
      id: r.id,
      status: r.status,
      startedAt: r.started_at,
      finishedAt: r.finished_at ?? undefined,
      actor: r.actor,
      inputs: JSON.parse(r.inputs) as string[],
      counts: r.counts ? JSON.parse(r.counts) : undefined,
      error: r.error ?? undefined,
    }));
    const files = db
      .prepare(
        "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM source_files s JOIN imports i ON i.id = s.import_id WHERE i.status = 'done'",
      )
      .get() as { n: number; bytes: number };
    const custody = readCustody(db);
    const problems = verifyCustody(custody);
    return {
      ...summary,
      imports,
      sourceFiles: { count: files.n, bytes: files.bytes },
      custody: { entries: custody.length, intact: problems.length === 0, problems, last: custody[custody.length - 1] },
    };
  } finally {
    db.close();
  }
}

function formatShow(d: Record<string, unknown>): string {
  const s = d as unknown as CaseSummary & {
    imports: {
      id: number;
      status: string;
      startedAt: string;
      inputs: string[];
      counts?: { records?: number; rejected?: number };
      error?: string;
    }[];
    sourceFiles: { count: number; bytes: number };
    custody: { entries: number; intact: boolean; problems: string[] };
  };
  const lines = [
    `Case:        ${s.name} (${s.slug})`,
    `Folder:      ${s.dir}`,
    `Created:     ${s.createdAt} by ${s.createdBy} (audit-ws ${s.toolVersion})`,
  ];
  if (s.description) lines.push(`Description: ${s.description}`);
  if (s.inUseBy) lines.push(`In use by:   ${s.inUseBy}`);
  lines.push(
    `Records:     ${s.totals.records} (${s.totals.rejected} rejected) from ${s.sourceFiles.count} source files`,
  );
  lines.push(
    `Custody log: ${s.custody.entries} entries, ${s.custody.intact ? 'chain intact' : `BROKEN: ${s.custody.problems.join('; ')}`}`,
  );
  lines.push('', 'Imports:');
  if (s.imports.length === 0) lines.push('  (none)');
  for (const i of s.imports) {
    const c = i.counts ? ` ${i.counts.records ?? 0} records, ${i.counts.rejected ?? 0} rejected` : '';
    lines.push(
      `  #${i.id} ${i.status.padEnd(11)} ${i.startedAt}${c}  ${i.inputs.join(', ')}${i.error ? `\n      ${i.error}` : ''}`,
    );
  }
  return lines.join('\n');
}

export function registerCase(program: Command): void {
  const group = program.command('case').description('create, list, show, rename and delete cases');

  addWorkspaceOptions(group.command('create'))
    .description('create a case')
    .argument('<name>', 'case name')
    .option('--description <text>', 'what the case is about')
    .option('--json', 'print the case as JSON')
    .action(
      async (name: string, opts: WorkspaceOptions & { description?: string; json?: boolean }, command: Command) => {
        const ws = workspaceOf(opts);
        const handle = await ws.create(name, {
          actor: resolveInvestigator(opts.investigator),
          description: opts.description,
        });
        const info = handle.info();
        await handle.close();
        write(opts.json ? JSON.stringify(info, null, 2) : `created case "${info.name}" in ${info.dir}`);
        setExitCode(command, EXIT_OK);
      },
    );

  addWorkspaceOptions(group.command('list'))
    .description('list the cases of the workspace')
    .option('--json', 'print the list as JSON')
    .action(async (opts: WorkspaceOptions & { json?: boolean }, command: Command) => {
      const ws = workspaceOf(opts);
      const cases = ws.list();
      if (opts.json) write(JSON.stringify({ workspace: ws.dir, cases }, null, 2));
      else write(cases.length === 0 ? `no cases in ${ws.dir}` : cases.map(formatSummary).join('\n'));
      setExitCode(command, EXIT_OK);
    });

  addWorkspaceOptions(group.command('show'))
    .description('show a case: imports, source files, custody log')
    .argument('<name>', 'case name or folder name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: WorkspaceOptions & { json?: boolean }, command: Command) => {
      const d = describeCase(workspaceOf(opts), name);
      write(opts.json ? JSON.stringify(d, null, 2) : formatShow(d));
      setExitCode(command, EXIT_OK);
    });

  addWorkspaceOptions(group.command('rename'))
    .description('rename a case (its folder stays where it is)')
    .argument('<name>', 'current name or folder name')
    .argument('<new-name>', 'new name')
    .action(async (name: string, newName: string, opts: WorkspaceOptions, command: Command) => {
      const info = await workspaceOf(opts).rename(name, newName, resolveInvestigator(opts.investigator));
      write(`renamed case to "${info.name}" (${info.dir})`);
      setExitCode(command, EXIT_OK);
    });

  addWorkspaceOptions(group.command('delete'))
    .description('delete a case and everything in its folder')
    .argument('<name>', 'case name or folder name')
    .option('--yes', 'confirm the deletion (required)')
    .action(async (name: string, opts: WorkspaceOptions & { yes?: boolean }, command: Command) => {
      const ws = workspaceOf(opts);
      const dir = ws.locate(name);
      if (!opts.yes)
        throw new AuditWsError(
          'BAD_USAGE',
          `deleting case "${name}" removes ${dir} and everything in it; add --yes to confirm`,
        );
      const info = await ws.delete(name);
      write(`deleted case "${info.name}" (${info.dir})`);
      setExitCode(command, EXIT_OK);
    });

  addWorkspaceOptions(group.command('recover'))
    .description('open a case for writing once: upgrades its schema and cleans up after an interrupted import')
    .argument('<name>', 'case name or folder name')
    .action(async (name: string, opts: WorkspaceOptions, command: Command) => {
      const ws = workspaceOf(opts);
      const handle = await CaseHandle.open(ws.locate(name), {
        mode: 'write',
        actor: resolveInvestigator(opts.investigator),
        purpose: 'audit-ws case recover',
      });
      const notices = [...handle.notices];
      await handle.close();
      write(notices.length > 0 ? notices.join('\n') : 'nothing to recover');
      setExitCode(command, EXIT_OK);
    });
}
