/** Anomaly filter `volume`: hours with a spike in decisions, or none at all when traffic is expected. */
import { decisionWhere } from '../filters.ts';
import { isoSql, utcSql } from '../db.ts';
import { DECISIONS } from './common.ts';
import type { AnomalyFilter } from './types.ts';

export const volume: AnomalyFilter = {
  id: 'volume',
  title: 'Volume spikes and gaps in logging',
  explanation:
    'Hours with no decisions although that hour of the day usually has traffic (a median of at least minExpected over the days in range), or with spikeRatio times the usual number or more, which point at lost logs or at a flood of automated decisions.',
  subject: 'hour',
  params: [
    {
      name: 'minExpected',
      type: 'number',
      default: 10,
      min: 0,
      description:
        'an empty hour is a gap only if that hour of the day usually has at least this many decisions; a spike must exceed the usual by this many',
    },
    {
      name: 'spikeRatio',
      type: 'number',
      default: 3,
      min: 1,
      description: 'an hour is a spike at this many times the usual count or more',
    },
  ],
  flagged(ctx, p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    return {
      sql: `WITH counts AS (
          SELECT date_trunc('hour', ${utcSql('x."timestamp"')}) AS h, count(*) AS n FROM ${DECISIONS} x WHERE ${w.sql} AND x."timestamp" IS NOT NULL GROUP BY 1
        ),
        hours AS (SELECT unnest(generate_series(min(h), max(h), INTERVAL 1 HOUR)) AS h FROM counts),
        filled AS (SELECT hours.h, coalesce(counts.n, 0) AS n FROM hours LEFT JOIN counts ON counts.h = hours.h),
        usual AS (SELECT hour(h) AS hod, median(n) AS expected, count(*) AS days FROM filled GROUP BY 1)
        SELECT NULL::VARCHAR AS ref_table, NULL::VARCHAR AS ref_stream, NULL::BIGINT AS ref_seq, NULL::VARCHAR AS ref_source_file, NULL::BIGINT AS ref_line,
          NULL::BIGINT AS ref_row, NULL::BIGINT AS ref_import_id, NULL::VARCHAR AS ref_hash, epoch_us(filled.h) AS sort_key,
          ${isoSql('filled.h')} AS "hour", CASE WHEN filled.n = 0 THEN 'gap' ELSE 'spike' END AS "kind", filled.n AS "decisions",
          usual.expected::DOUBLE AS "expected", usual.days AS "days"
        FROM filled JOIN usual ON usual.hod = hour(filled.h)
        WHERE (filled.n = 0 AND usual.expected >= $minExpected AND usual.expected > 0)
           OR (filled.n >= $spikeRatio * usual.expected AND filled.n - usual.expected >= $minExpected AND filled.n > 0)`,
      params: { ...w.params, minExpected: p.minExpected as number, spikeRatio: p.spikeRatio as number },
      summaryBy: ['kind'],
    };
  },
  describe(item) {
    return item.kind === 'gap'
      ? `no decisions in the hour from ${String(item.hour)} (that hour usually has ${String(item.expected)})`
      : `${String(item.decisions)} decisions in the hour from ${String(item.hour)} (that hour usually has ${String(item.expected)})`;
  },
};
