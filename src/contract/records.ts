/**
 * One imported record as the UI shows it (spec member names, values as written, where it came from), and
 * the annotation target that names it. Targets are readable and survive a re-import:
 *   decision:<decisionId>  review:<eventId>  lifecycle:<eventId>  outcome:<decisionId>
 *   record:<stream>:<seq>  (a chained record without an id)   file:<path>:<line or row>  (anything else)
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { RECORD_KINDS, type RecordKind } from '../archive/kinds.ts';
import { KIND_TABLES, memberColumns } from '../case/evidence-schema.ts';
import type { CaseHandle } from '../case/store.ts';
import { rawTexts } from '../case/source-copies.ts';
import { AuditWsError } from '../errors.ts';
import { annotationsFor } from './annotations.ts';
import { findingsForRecord } from './case-verification.ts';
import type { JsonValue } from './plain-json.ts';
import { queryRows } from './rows.ts';
import type { RecordKindName, RecordView } from './workstation-types.ts';

/** The id member that names a record of each kind in a target, and its column. */
const ID_COLUMN: Record<RecordKind, { member: string; column: string }> = {
  decision: { member: 'decisionId', column: 'decision_id' },
  review: { member: 'eventId', column: 'event_id' },
  lifecycle: { member: 'eventId', column: 'event_id' },
  outcome: { member: 'decisionId', column: 'decision_id' },
};

export function targetOf(kind: RecordKind, row: Record<string, JsonValue>): string {
  const id = row[ID_COLUMN[kind].column];
  if (typeof id === 'string' && id !== '') return `${kind}:${id}`;
  if (row.stream !== null && row.seq !== null && row.seq !== undefined) return `record:${row.stream}:${row.seq}`;
  return `file:${row.source_file}:${row.line ?? row.row}`;
}

export interface RecordLocator {
  kind?: RecordKindName;
  target?: string;
  stream?: string;
  seq?: number;
  file?: string;
  line?: number;
  row?: number;
}

/** SQL conditions per kind table for a locator; undefined when the locator cannot match that kind. */
function conditions(kind: RecordKind, loc: RecordLocator): { where: string; params: (string | number)[] } | undefined {
  if (loc.kind && loc.kind !== kind) return undefined;
  if (loc.target) {
    const t = /^(decision|review|lifecycle|outcome|record|file):(.*)$/.exec(loc.target);
    if (!t) throw new AuditWsError('BAD_USAGE', `"${loc.target}" is not a record target (e.g. decision:d-00000042)`);
    const [, type, rest] = t;
    if (type === 'record') {
      const m = /^(.*):(\d+)$/.exec(rest);
      if (!m) throw new AuditWsError('BAD_USAGE', `"${loc.target}": expected record:<stream>:<seq>`);
      return { where: 'stream = $1 AND seq = $2', params: [m[1], Number(m[2])] };
    }
    if (type === 'file') {
      const m = /^(.*):(\d+)$/.exec(rest);
      if (!m) throw new AuditWsError('BAD_USAGE', `"${loc.target}": expected file:<path>:<line>`);
      return { where: 'source_file = $1 AND coalesce(line, row) = $2', params: [m[1], Number(m[2])] };
    }
    if (type !== kind) return undefined;
    return { where: `${ID_COLUMN[kind].column} = $1`, params: [rest] };
  }
  if (loc.stream !== undefined && loc.seq !== undefined) {
    return { where: 'stream = $1 AND seq = $2', params: [loc.stream, loc.seq] };
  }
  if (loc.file !== undefined && (loc.line !== undefined || loc.row !== undefined)) {
    return loc.line !== undefined
      ? { where: 'source_file = $1 AND line = $2', params: [loc.file, loc.line] }
      : { where: 'source_file = $1 AND row = $2', params: [loc.file, loc.row as number] };
  }
  throw new AuditWsError(
    'BAD_USAGE',
    'records.get: name the record by target, by stream and seq, or by file and line (or row)',
  );
}

function parseJson(text: JsonValue): JsonValue {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** A stored row as spec members (values as written: time members from their text column). */
export function recordFields(kind: RecordKind, row: Record<string, JsonValue>): Record<string, JsonValue> {
  const fields: Record<string, JsonValue> = {};
  for (const m of memberColumns(kind)) {
    const value = m.textColumn ? row[m.textColumn] : row[m.column];
    if (value === null || value === undefined) continue;
    fields[m.member] = m.type === 'json' ? parseJson(value) : value;
  }
  return fields;
}

async function rowsFor(duck: DuckDBConnection, kind: RecordKind, loc: RecordLocator, limit: number) {
  const cond = conditions(kind, loc);
  if (!cond) return [];
  return queryRows(
    duck,
    `SELECT * FROM ${KIND_TABLES[kind]} WHERE ${cond.where} ORDER BY import_id, source_file_id, line, row LIMIT ${limit}`,
    cond.params,
  );
}

export async function findRecords(handle: CaseHandle, loc: RecordLocator, limit = 20): Promise<RecordView[]> {
  const archiveOf = handle.sqlite.prepare('SELECT archive FROM source_files WHERE id = ?');
  const out: RecordView[] = [];
  for (const kind of RECORD_KINDS) {
    const rows = await rowsFor(handle.duck, kind, loc, limit);
    const texts = await rawTexts(handle.dir, handle.sqlite, handle.duck, rows);
    for (const [i, row] of rows.entries()) {
      const target = targetOf(kind, row);
      const view: RecordView = {
        kind,
        target,
        file: String(row.source_file),
        fields: recordFields(kind, row),
        raw: texts[i],
        annotations: annotationsFor(handle.sqlite, target),
        findings: [],
      };
      if (row.stream !== null) view.stream = String(row.stream);
      if (typeof row.seq === 'number') view.seq = row.seq;
      if (typeof row.line === 'number') view.line = row.line;
      if (typeof row.row === 'number') view.row = row.row;
      if (row.extra !== null && row.extra !== undefined) view.extra = parseJson(row.extra);
      const archive = archiveOf.get(row.source_file_id) as { archive: string } | undefined;
      if (archive) view.archive = archive.archive;
      view.findings = findingsForRecord(handle.sqlite, view);
      out.push(view);
    }
  }
  return out.slice(0, limit);
}
