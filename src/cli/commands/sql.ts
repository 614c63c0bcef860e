import type { Command } from 'commander';
import { DEFAULT_QUERY_LIMIT, runReadOnlyQuery } from '../../case/query.ts';
import type { QueryPage } from '../../case/query.ts';
import { CaseHandle } from '../../case/store.ts';
import { AuditWsError } from '../../errors.ts';
import { EXIT_OK, setExitCode } from '../main.ts';
import { addWorkspaceOptions, workspaceOf } from './case.ts';
import type { WorkspaceOptions } from './case.ts';

const MAX_CELL = 60;

function cell(v: unknown): string {
  const s = v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v);
  const one = s.replace(/\s+/g, ' ');
  return one.length > MAX_CELL ? `${one.slice(0, MAX_CELL - 1)}…` : one;
}

/** A plain-text table: header, rule, rows, and a line saying whether there is more. */
export function formatPage(p: QueryPage): string {
  const header = p.columns.map((c) => c.name);
  const body = p.rows.map((r) => r.map(cell));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)];
  const last = p.offset + p.rows.length;
  out.push(
    p.more
      ? `(rows ${p.offset + 1}-${last} shown; more follow: --offset ${last})`
      : `(${p.rows.length} row${p.rows.length === 1 ? '' : 's'}${p.offset > 0 ? ` from row ${p.offset + 1}` : ''})`,
  );
  return out.join('\n');
}

function wholeNumber(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new AuditWsError('BAD_USAGE', `${name} must be a whole number, not "${v}"`);
    return Number(v);
  };
}

export function registerSql(program: Command): void {
  addWorkspaceOptions(program.command('sql'))
    .description(
      "run one read-only SELECT over a case's evidence (tables: decisions, lifecycle_events, reviews, outcomes)",
    )
    .argument('<query>', 'one SELECT (or EXPLAIN) statement')
    .requiredOption('--case <name>', 'the case to query')
    .option('--limit <n>', `rows to print (default ${DEFAULT_QUERY_LIMIT}, at most 10000)`, wholeNumber('--limit'))
    .option('--offset <n>', 'rows to skip first', wholeNumber('--offset'))
    .option('--json', 'print {columns, rows, more} as JSON')
    .action(
      async (
        query: string,
        opts: WorkspaceOptions & { case: string; limit?: number; offset?: number; json?: boolean },
        command: Command,
      ) => {
        const ws = workspaceOf(opts);
        const handle = await CaseHandle.open(ws.locate(opts.case), { mode: 'read' });
        try {
          const page = await runReadOnlyQuery(handle, query, { limit: opts.limit, offset: opts.offset });
          process.stdout.write(`${opts.json ? JSON.stringify(page, null, 2) : formatPage(page)}\n`);
        } finally {
          await handle.close();
        }
        setExitCode(command, EXIT_OK);
      },
    );
}
