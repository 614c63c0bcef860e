import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import { ANOMALY_FILTERS, anomalyFilter, runAnomalies } from '../../query/anomalies/index.ts';
import type { AnomalyResult } from '../../query/anomalies/index.ts';
import { EXIT_FINDINGS, EXIT_OK, setExitCode } from '../main.ts';
import {
  caseOptions,
  collect,
  filterOptions,
  filtersFrom,
  printJson,
  table,
  wholeNumber,
  withCase,
} from '../query-options.ts';
import type { CaseFlags, FilterFlags } from '../query-options.ts';

interface AnomalyFlags extends CaseFlags, FilterFlags {
  only?: string[];
  set?: string[];
  limit?: number;
  offset?: number;
  list?: boolean;
}

/** `--set low-confidence.threshold=0.4` into {"low-confidence": {"threshold": "0.4"}} (the filter checks the value). */
function parseSets(sets: string[] = []): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of sets) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/.exec(s);
    if (!m)
      throw new AuditWsError(
        'BAD_USAGE',
        `--set must look like FILTER.PARAM=VALUE (e.g. low-confidence.threshold=0.4), not "${s}"`,
      );
    anomalyFilter(m[1]);
    (out[m[1]] ??= {})[m[2]] = m[3];
  }
  return out;
}

export function formatAnomalies(results: AnomalyResult[], showItems: number): string {
  const lines: string[] = [
    table(
      ['filter', 'hits', 'integrity', 'ms', 'parameters'],
      results.map((r) => [r.id, r.total, r.integrity.status, r.ms, JSON.stringify(r.params)]),
      60,
    ),
  ];
  for (const r of results) {
    if (r.total === 0) continue;
    lines.push('');
    lines.push(`${r.title} (${r.id}): ${r.total} hit${r.total === 1 ? '' : 's'}. ${r.explanation}`);
    if (r.summary.length > 0)
      lines.push(
        `  by ${Object.keys(r.summary[0])
          .filter((k) => k !== 'hits')
          .join(' / ')}: ${r.summary
          .slice(0, 10)
          .map(
            (s) =>
              `${Object.entries(s)
                .filter(([k]) => k !== 'hits')
                .map(([, v]) => v ?? '-')
                .join(' ')} ${s.hits}`,
          )
          .join('; ')}`,
      );
    for (const i of r.items.slice(0, showItems)) {
      const where = i.ref
        ? ` [${i.ref.sourceFile}${i.ref.line ? `:${i.ref.line}` : i.ref.row ? ` row ${i.ref.row}` : ''}, ${i.integrity?.status}]`
        : '';
      const id = i.item.decisionId ?? i.item.eventId ?? i.item.hour ?? '';
      lines.push(`  ${String(i.item.at ?? '')} ${String(id)}: ${i.reason}${where}`);
    }
    if (r.total > Math.min(showItems, r.items.length))
      lines.push(
        `  ... ${r.total - Math.min(showItems, r.items.length)} more (--only ${r.id} --limit N --offset N, or --json)`,
      );
  }
  return lines.join('\n');
}

/** `audit-ws anomalies --case NAME [--only ID] [--set ID.PARAM=VALUE] [filters] [--json]`. */
export function registerAnomalies(program: Command): void {
  filterOptions(
    caseOptions(program.command('anomalies').description('run the anomaly filters (exit 1 when any flags something)')),
  )
    .option('--only <id>', `run only this filter (repeatable): ${ANOMALY_FILTERS.map((f) => f.id).join(', ')}`, collect)
    .option(
      '--set <filter.param=value>',
      'change a parameter of a filter (repeatable), e.g. short-reviews.maxSeconds=5',
      collect,
    )
    .option('--limit <n>', 'hits listed per filter (default 50 with --json, 10 otherwise)', wholeNumber('--limit'))
    .option('--offset <n>', 'skip this many hits per filter', wholeNumber('--offset'))
    .option('--list', 'list the filters, what each flags and its parameters with defaults')
    .action(async (opts: AnomalyFlags, command: Command) => {
      if (opts.list) {
        const filters = ANOMALY_FILTERS.map((f) => ({
          id: f.id,
          title: f.title,
          explanation: f.explanation,
          subject: f.subject,
          params: f.params,
        }));
        if (opts.json) printJson(filters);
        else {
          const lines: string[] = [];
          for (const f of filters) {
            lines.push(`${f.id}: ${f.explanation}`);
            for (const p of f.params)
              lines.push(
                `    ${p.name} (default ${p.default === null ? 'none' : String(p.default)}): ${p.description}`,
              );
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        setExitCode(command, EXIT_OK);
        return;
      }
      const limit = opts.limit ?? (opts.json ? 50 : 10);
      const results = await withCase(opts, (ctx) =>
        runAnomalies(ctx, {
          only: opts.only,
          params: parseSets(opts.set),
          scope: filtersFrom(opts),
          page: { limit, offset: opts.offset ?? 0 },
        }),
      );
      if (opts.json) printJson(results);
      else process.stdout.write(`${formatAnomalies(results, limit)}\n`);
      setExitCode(command, results.some((r) => r.total > 0) ? EXIT_FINDINGS : EXIT_OK);
    });
}
