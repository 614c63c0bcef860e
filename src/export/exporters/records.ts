/**
 * `records`: every record of one kind as imported, one column per spec member (time members as the
 * producer wrote them), with the chain members and where each record came from (file and line or row).
 * The export that must stream: a case can hold tens of millions of decisions.
 */
import { RECORD_KINDS, TIME_MEMBERS } from '../../archive/kinds.ts';
import type { RecordKind } from '../../archive/kinds.ts';
import { KIND_TABLES, memberColumns, quoteIdent } from '../../case/evidence-schema.ts';
import { AuditWsError } from '../../errors.ts';
import { intParam } from '../exporter.ts';
import type { Exporter } from '../exporter.ts';

function parseKind(value: string | undefined): RecordKind {
  const kind = (value ?? 'decision') as RecordKind;
  if (!RECORD_KINDS.includes(kind)) {
    throw new AuditWsError(
      'BAD_USAGE',
      `export records: kind must be one of ${RECORD_KINDS.join(', ')}, not "${value}"`,
    );
  }
  return kind;
}

function isoParam(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (Number.isNaN(Date.parse(value)))
    throw new AuditWsError('BAD_USAGE', `export records: ${name} must be an ISO 8601 time, not "${value}"`);
  return new Date(value).toISOString();
}

export const recordsExporter: Exporter = {
  name: 'records',
  description: 'Records of one kind with every spec member, chain members and source location, in stream and seq order',
  params: [
    { name: 'kind', description: `record kind: ${RECORD_KINDS.join(', ')} (default decision)` },
    { name: 'from', description: "first time included (ISO 8601), by the kind's time member" },
    { name: 'to', description: 'first time excluded (ISO 8601)' },
    { name: 'modelId', description: 'only this model (decision and lifecycle kinds)' },
    { name: 'modelVersion', description: 'only this model version (decision and lifecycle kinds)' },
    { name: 'limit', description: 'at most this many rows' },
  ],
  async open(ctx, params) {
    const kind = parseKind(params.kind);
    const cols = memberColumns(kind);
    const select = cols.map((c) => `${quoteIdent(c.textColumn ?? c.column)} AS ${quoteIdent(c.member)}`);
    select.push('source_file', 'line', '"row"');
    const where: string[] = [];
    const values: Record<string, string> = {};
    const timeCol = quoteIdent(cols.find((c) => c.member === TIME_MEMBERS[kind])!.column);
    const from = isoParam('from', params.from);
    const to = isoParam('to', params.to);
    if (from) {
      where.push(`${timeCol} >= $from::TIMESTAMPTZ`);
      values.from = from;
    }
    if (to) {
      where.push(`${timeCol} < $to::TIMESTAMPTZ`);
      values.to = to;
    }
    for (const [param, column] of [
      ['modelId', 'model_id'],
      ['modelVersion', 'model_version'],
    ] as const) {
      if (params[param] === undefined) continue;
      if (!cols.some((c) => c.column === column))
        throw new AuditWsError('BAD_USAGE', `export records: ${param} does not apply to ${kind} records`);
      where.push(`${column} = $${param}`);
      values[param] = params[param];
    }
    const limit = intParam('records', params, 'limit');
    const sql = `SELECT ${select.join(', ')} FROM ${KIND_TABLES[kind]}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY stream, seq NULLS LAST, source_file, line, "row"${limit !== undefined ? ` LIMIT ${Math.max(0, limit)}` : ''}`;
    return { sql, params: values };
  },
};
