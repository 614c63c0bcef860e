/**
 * Runs one anomaly filter: resolves its parameters (defaults, ranges), materialises the flagged rows
 * once in a temp table, then counts, pages, summarises and judges their integrity from it.
 */
import { AuditWsError } from '../../errors.ts';
import type { QueryContext } from '../context.ts';
import { RowIds, numberParam, pageOf, queryRows } from '../db.ts';
import { DECISIONS, decisionItemSql } from './common.ts';
import type { Json, Page, Row } from '../db.ts';
import type { DecisionFilters } from '../filters.ts';
import { refOf, withoutRefColumns } from '../integrity.ts';
import type { RowTable } from '../integrity.ts';
import type { AnomalyFilter, AnomalyResult, ParamValue } from './types.ts';

export function resolveParams(filter: AnomalyFilter, given: Record<string, unknown> = {}): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const key of Object.keys(given)) {
    if (!filter.params.some((p) => p.name === key)) {
      throw new AuditWsError(
        'BAD_USAGE',
        `anomaly filter ${filter.id} has no parameter "${key}" (it has: ${filter.params.map((p) => p.name).join(', ') || 'none'})`,
      );
    }
  }
  for (const spec of filter.params) {
    const v = given[spec.name];
    if (v === undefined || v === null || v === '') {
      out[spec.name] = spec.default;
      continue;
    }
    if (spec.type === 'number') {
      out[spec.name] = numberParam(
        v,
        `${filter.id}.${spec.name}`,
        spec.min ?? -Number.MAX_VALUE,
        spec.max ?? Number.MAX_VALUE,
        spec.integer,
      );
    } else {
      const text = String(v);
      if (spec.choices && !spec.choices.includes(text)) {
        throw new AuditWsError(
          'BAD_USAGE',
          `${filter.id}.${spec.name} must be one of ${spec.choices.join(', ')}, not "${text}"`,
        );
      }
      out[spec.name] = text;
    }
  }
  return out;
}

let tempCounter = 0;
/** Hits up to this many are fetched by rowid; more are joined in one scan. */
const FETCH_BY_ROWID_MAX = 100_000;

export async function runAnomaly(
  ctx: QueryContext,
  filter: AnomalyFilter,
  given: Record<string, unknown> = {},
  scope: DecisionFilters = {},
  page?: Page,
): Promise<AnomalyResult> {
  const started = performance.now();
  const params = resolveParams(filter, given);
  const { limit, offset } = pageOf(page);
  const flagged = filter.flagged(ctx, params, scope);
  const table = `q_anomaly_${process.pid}_${++tempCounter}`;
  const hitsTable = `${table}_hits`;
  if (flagged.hits) {
    await queryRows(ctx.duck, `CREATE TEMP TABLE ${hitsTable} AS ${flagged.hits.sql}`, flagged.params);
    const [{ k }] = await queryRows(ctx.duck, `SELECT count(*) AS k FROM ${hitsTable}`);
    // few hits: fetched by rowid (one row group each); many: one scan joined to them
    const few = Number(k) <= FETCH_BY_ROWID_MAX;
    const rids = few ? (await queryRows(ctx.duck, `SELECT rid FROM ${hitsTable}`)).map((r) => Number(r.rid)) : [];
    const extras = flagged.hits.extras.map((c) => `, h."${c.replace(/"/g, '""')}"`).join('');
    await queryRows(
      ctx.duck,
      `CREATE TEMP TABLE ${table} AS SELECT ${decisionItemSql('x')}${extras}
       FROM ${DECISIONS} x JOIN ${hitsTable} h ON h.rid = x.rowid
       ${few ? 'WHERE x.rowid IN (SELECT unnest($rowids))' : ''}`,
      few ? { rowids: new RowIds(rids) } : {},
    );
  } else await queryRows(ctx.duck, `CREATE TEMP TABLE ${table} AS ${flagged.sql}`, flagged.params);
  try {
    const [{ n }] = await queryRows(ctx.duck, `SELECT count(*) AS n FROM ${table}`);
    const rows = await queryRows(
      ctx.duck,
      `SELECT * FROM ${table} ORDER BY sort_key, ref_source_file, ref_line, ref_row LIMIT ${limit} OFFSET ${offset}`,
    );
    const by = flagged.summaryBy.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    const summary = by
      ? await queryRows(
          ctx.duck,
          `SELECT ${by}, count(*) AS hits FROM ${table} GROUP BY ALL ORDER BY hits DESC, ${by} LIMIT 100`,
        )
      : [];
    const hasRefs =
      Number(n) > 0 &&
      (await queryRows(ctx.duck, `SELECT count(*) AS k FROM ${table} WHERE ref_table IS NOT NULL`))[0].k !== 0;
    const integrity = hasRefs
      ? await ctx.integrity.summarize(
          ctx.duck,
          `SELECT ref_stream AS stream, ref_seq AS seq, ref_source_file AS source_file, ref_line AS line, ref_row AS "row", ref_import_id AS import_id FROM ${table} WHERE ref_table IS NOT NULL`,
        )
      : {
          status: 'passed' as const,
          runId: ctx.integrity.runId,
          rows: 0,
          failed: 0,
          warning: 0,
          unverifiable: 0,
          notVerified: 0,
        };
    return {
      id: filter.id,
      title: filter.title,
      explanation: filter.explanation,
      params,
      total: Number(n),
      offset,
      limit,
      items: rows.map((r) => itemOf(ctx, filter, r, params)),
      summary,
      integrity,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await ctx.duck.run(`DROP TABLE IF EXISTS ${table}`);
    await ctx.duck.run(`DROP TABLE IF EXISTS ${hitsTable}`);
  }
}

function itemOf(
  ctx: QueryContext,
  filter: AnomalyFilter,
  r: Row,
  params: Record<string, ParamValue>,
): AnomalyResult['items'][number] {
  const item: Record<string, Json> = {};
  for (const [k, v] of Object.entries(withoutRefColumns(r))) if (k !== 'sort_key' && k !== 'rid') item[k] = v;
  if (typeof r.ref_table !== 'string')
    return { reason: filter.describe(item, params), item, ref: null, integrity: null };
  const ref = refOf(r.ref_table as RowTable, r);
  return { reason: filter.describe(item, params), item, ref, integrity: ctx.integrity.of(ref) };
}
