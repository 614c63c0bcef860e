import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import { FACET_NAMES } from '../../query/facets.ts';
import type { FacetName } from '../../query/facets.ts';
import { search } from '../../query/search.ts';
import type { SearchParams, SearchResult, SearchSort } from '../../query/search.ts';
import { EXIT_OK, setExitCode } from '../main.ts';
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

interface SearchFlags extends CaseFlags, FilterFlags {
  anomaly?: string;
  sort?: string;
  limit?: number;
  offset?: number;
  facet?: string[];
  noFacets?: boolean;
  facets?: boolean;
  histogram?: string;
}

export function formatSearch(r: SearchResult): string {
  const lines = [
    `${r.total} decisions; ${r.items.length ? `${r.offset + 1}-${r.offset + r.items.length}` : 'none'} shown (sorted by ${r.sort}); page integrity ${r.integrity.status}`,
  ];
  if (r.items.length > 0) {
    lines.push(
      table(
        ['at', 'decision', 'model', 'prediction', 'conf', 'review', 'user', 'source'],
        r.items.map((i) => [
          i.at,
          i.decisionId,
          `${i.modelId} ${i.modelVersion}`,
          typeof i.prediction === 'string' ? i.prediction : JSON.stringify(i.prediction),
          i.confidence,
          i.humanOverride ? 'overridden' : i.humanReviewed ? 'reviewed' : i.humanReviewRequired ? 'REQUIRED' : '',
          i.affectedUserId ? `${i.affectedUserId.slice(0, 12)}…` : null,
          `${i.ref.sourceFile}:${i.ref.line ?? i.ref.row}`,
        ]),
      ),
    );
  }
  for (const [name, f] of Object.entries(r.facets)) {
    if (!f || f.values.length === 0) continue;
    lines.push(
      `${name}: ${f.values.map((v) => `${v.value ?? '(none)'} ${v.count}`).join(', ')}${f.others ? `, others ${f.others}` : ''}`,
    );
  }
  if (r.histogram)
    lines.push(
      `per ${r.histogram.bucket}: ${r.histogram.counts.map((c) => `${c.at.slice(0, 13)} ${c.count}`).join(', ')}`,
    );
  return lines.join('\n');
}

/** `audit-ws search --case NAME [filters] [--json]`. */
export function registerSearch(program: Command): void {
  filterOptions(
    caseOptions(
      program.command('search').description('find decisions by filters and free text over ids, with facet counts'),
    ),
  )
    .option('--anomaly <id>', 'only decisions this anomaly filter flags (default parameters)')
    .option('--sort <key>', 'time, confidence or latency; prefix - for descending', 'time')
    .option('--limit <n>', 'decisions per page (default 50, at most 1000)', wholeNumber('--limit'))
    .option('--offset <n>', 'skip this many decisions', wholeNumber('--offset'))
    .option('--facet <name>', `count only these facets (repeatable): ${FACET_NAMES.join(', ')}`, collect)
    .option('--no-facets', 'count no facets')
    .option('--histogram <bucket>', 'decisions per hour, day or week')
    .action(async (opts: SearchFlags, command: Command) => {
      const params: SearchParams = { ...filtersFrom(opts), sort: opts.sort as SearchSort };
      if (opts.anomaly) params.anomaly = opts.anomaly;
      if (opts.limit !== undefined) params.limit = opts.limit;
      if (opts.offset !== undefined) params.offset = opts.offset;
      if (opts.facets === false) params.facets = [];
      else if (opts.facet) params.facets = opts.facet as FacetName[];
      if (opts.histogram) {
        if (!['hour', 'day', 'week'].includes(opts.histogram))
          throw new AuditWsError('BAD_USAGE', `--histogram must be hour, day or week, not "${opts.histogram}"`);
        params.histogram = opts.histogram as 'hour' | 'day' | 'week';
      }
      const r = await withCase(opts, (ctx) => search(ctx, params));
      if (opts.json) printJson(r);
      else process.stdout.write(`${formatSearch(r)}\n`);
      setExitCode(command, EXIT_OK);
    });
}
