/** `oversight`: one table of the `oversight` query (per reviewer, per model version or over time). */
import { AuditWsError } from '../../errors.ts';
import { queryContext } from '../../query/context.ts';
import {
  OVERSIGHT_METRIC_COLUMNS as METRICS,
  OVERSIGHT_REVIEWER_COLUMNS as REVIEWER,
  oversight,
} from '../../query/oversight.ts';
import type { OversightParams } from '../../query/oversight.ts';
import type { CsvValue } from '../csv.ts';
import { numberParam } from '../exporter.ts';
import type { Exporter } from '../exporter.ts';
import { FILTER_PARAMS, filtersFromParams } from '../query-params.ts';

export const oversightExporter: Exporter = {
  name: 'oversight',
  description: 'Human oversight aggregates: per reviewer, per model version, or per day / week / month',
  params: [
    { name: 'table', description: 'reviewer (default), model-version or time' },
    { name: 'bucket', description: 'for table=time: day, week (default) or month' },
    { name: 'shortReviewSeconds', description: 'reviews shorter than this count as short (default 10)' },
    ...FILTER_PARAMS,
  ],
  async open(ctx, params) {
    const p: OversightParams = { ...filtersFromParams('oversight', params) };
    if (params.bucket) p.bucket = params.bucket as OversightParams['bucket'];
    const short = numberParam('oversight', params, 'shortReviewSeconds');
    if (short !== undefined) p.shortReviewSeconds = short;
    const r = await oversight(await queryContext(ctx), p);
    const table = params.table ?? 'reviewer';
    let columns: string[];
    let data: CsvValue[][];
    if (table === 'reviewer') {
      columns = [...REVIEWER];
      data = r.byReviewer.map((x) => REVIEWER.map((c) => x[c]));
    } else if (table === 'model-version') {
      columns = ['modelId', 'modelVersion', ...METRICS];
      data = r.byModelVersion.map((x) => [x.modelId, x.modelVersion, ...METRICS.map((c) => x[c])]);
    } else if (table === 'time') {
      columns = ['bucket', ...METRICS];
      data = r.overTime.map((x) => [x.bucket, ...METRICS.map((c) => x[c])]);
    } else
      throw new AuditWsError(
        'BAD_USAGE',
        `export oversight: table must be reviewer, model-version or time, not "${table}"`,
      );
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      yield* data;
    }
    return { columns, rows: rows() };
  },
};
