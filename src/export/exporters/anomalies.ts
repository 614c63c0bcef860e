/**
 * `anomalies`: every hit of one anomaly filter (src/query/anomalies), streamed from the filter's own
 * SQL with its parameters (defaults unless given) and within the decision filters given, each with the
 * filter's one-line reason.
 */
import { AuditWsError } from '../../errors.ts';
import { ANOMALY_FILTERS, anomalyFilter, resolveParams } from '../../query/anomalies/index.ts';
import { queryContext } from '../../query/context.ts';
import { plain } from '../../query/db.ts';
import type { Json } from '../../query/db.ts';
import type { CsvValue } from '../csv.ts';
import { streamQuery } from '../duck-rows.ts';
import type { Exporter } from '../exporter.ts';
import { FILTER_PARAMS, filtersFromParams } from '../query-params.ts';

const FILTER_PARAM_NAMES = new Set(FILTER_PARAMS.map((p) => p.name));

export const anomaliesExporter: Exporter = {
  name: 'anomalies',
  description: 'Every hit of one anomaly filter, with the reason it was flagged and where the record is',
  params: [
    {
      name: 'filter',
      description: `the anomaly filter: ${ANOMALY_FILTERS.map((f) => f.id).join(', ')}`,
      required: true,
    },
    ...ANOMALY_FILTERS.flatMap((f) =>
      f.params.map((p) => ({
        name: `${f.id}.${p.name}`,
        description: `${f.id}: ${p.description} (default ${String(p.default)})`,
      })),
    ),
    ...FILTER_PARAMS,
  ],
  async open(ctx, params) {
    const filter = anomalyFilter(params.filter);
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) {
      if (k === 'filter' || FILTER_PARAM_NAMES.has(k)) continue;
      const [id, name] = k.split('.');
      if (id !== filter.id)
        throw new AuditWsError(
          'BAD_USAGE',
          `export anomalies: parameter "${k}" belongs to filter ${id}, not ${filter.id}`,
        );
      own[name] = v;
    }
    const resolved = resolveParams(filter, own);
    const q = await queryContext(ctx);
    const flagged = filter.flagged(q, resolved, filtersFromParams('anomalies', params));
    const inner = await streamQuery(
      ctx.duck,
      `SELECT * EXCLUDE (sort_key) FROM (${flagged.sql}) ORDER BY sort_key, ref_source_file, ref_line, ref_row`,
      flagged.params,
    );
    const columns = inner.columns.filter((c) => c !== 'rid');
    const keep = inner.columns.map((c) => c !== 'rid');
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      for await (const r of inner.rows) {
        const item: Record<string, Json> = {};
        inner.columns.forEach((c, i) => {
          if (!c.startsWith('ref_') && c !== 'rid') item[c] = plain(r[i]);
        });
        yield [filter.id, filter.describe(item, resolved), ...r.filter((_, i) => keep[i])];
      }
    }
    return { columns: ['filter', 'reason', ...columns], rows: rows() };
  },
};
