/** `timeline`: the events of one decision's, trace's or task's timeline (the `timeline` query), in time order. */
import { queryContext } from '../../query/context.ts';
import { timeline } from '../../query/timeline.ts';
import type { CsvValue } from '../csv.ts';
import type { Exporter } from '../exporter.ts';

export const timelineExporter: Exporter = {
  name: 'timeline',
  description:
    'Every event of a decision, trace or review task in time order, with the integrity status of each record',
  params: [
    { name: 'decisionId', description: 'a decision id' },
    { name: 'traceId', description: 'a trace id' },
    { name: 'taskId', description: 'a review task id' },
  ],
  async open(ctx, params) {
    const t = await timeline(await queryContext(ctx), {
      decisionId: params.decisionId,
      traceId: params.traceId,
      taskId: params.taskId,
    });
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      for (const e of t.events) {
        yield [
          e.at,
          e.atText,
          e.kind,
          e.type,
          e.decisionId,
          e.summary,
          e.details,
          e.ref?.stream ?? null,
          e.ref?.seq ?? null,
          e.ref?.sourceFile ?? null,
          e.ref?.line ?? null,
          e.ref?.row ?? null,
          e.ref?.hash ?? null,
          e.integrity.status,
        ];
      }
    }
    return {
      columns: [
        'at',
        'atText',
        'kind',
        'type',
        'decisionId',
        'summary',
        'details',
        'stream',
        'seq',
        'sourceFile',
        'line',
        'row',
        'hash',
        'integrity',
      ],
      rows: rows(),
    };
  },
};
