/**
 * The SQL that turns Parquet rows into evidence rows. The typed columns come straight from the file's
 * columns (no JSON parsing: a Parquet file already has types), judged by the column's type: a member
 * the spec makes a number stored in a VARCHAR column is a type problem on every row that has a value
 * there. `raw` is DuckDB's JSON rendering of the row (source-sql.ts parquetRowsSql); a null column is an
 * absent member (spec section 6). Same relation shape and same statements as record-sql.ts, so the
 * loader treats both alike.
 */
import {
  DEFAULT_STREAM,
  LIFECYCLE_EVENT_TYPES,
  RECORD_KINDS,
  REVIEW_EVENT_TYPES,
  camelToSnake,
} from '../archive/kinds.ts';
import type { Dialect, RecordKind } from '../archive/kinds.ts';
import { memberColumns, quoteIdent, tableColumns } from '../case/evidence-schema.ts';
import type { MemberColumn } from '../case/evidence-schema.ts';
import type { RecordContext } from './record-sql.ts';
import { sqlString } from './record-sql.ts';

export interface ParquetColumn {
  name: string;
  /** DuckDB's name for the column's type, e.g. VARCHAR, DOUBLE, STRUCT(a INTEGER). */
  type: string;
}

/** The alias a file column has in the input relation (source-sql.ts parquetRowsSql), clear of line/row/raw. */
export function parquetColumnAlias(index: number): string {
  return `"c$${index}"`;
}

type ColumnClass = 'string' | 'json' | 'integer' | 'number' | 'boolean' | 'time' | 'nested' | 'other';

function classOf(type: string): ColumnClass {
  const t = type.toUpperCase();
  if (t === 'VARCHAR') return 'string';
  if (t === 'JSON') return 'json';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t))
    return 'integer';
  if (/^(FLOAT|DOUBLE|DECIMAL.*)$/.test(t)) return 'number';
  if (t === 'BOOLEAN') return 'boolean';
  if (/^(TIMESTAMP|DATE)/.test(t)) return 'time';
  if (/^(STRUCT|MAP|.*\[\]$|.*\[\d+\]$)/.test(t) || t.endsWith('[]')) return 'nested';
  return 'other';
}

const CLASS_WORDS: Record<ColumnClass, string> = {
  string: 'a string',
  json: 'JSON text',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  time: 'a date/time',
  nested: 'a nested value',
  other: 'a value of another type',
};

function spellings(member: string): string[] {
  const snake = camelToSnake(member);
  return snake === member ? [member] : [member, snake];
}

function caseMap(expr: string, pairs: [string, string][], otherwise = 'NULL'): string {
  if (pairs.length === 0) return otherwise;
  return `CASE ${expr} ${pairs.map(([a, b]) => `WHEN ${sqlString(a)} THEN ${sqlString(b)}`).join(' ')} ELSE ${otherwise} END`;
}

function perFile(values: readonly (string | number | undefined)[]): string {
  const literal = (v: string | number | undefined): string =>
    v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sqlString(v);
  if (values.length === 0) return 'NULL';
  if (values.every((v) => v === values[0])) return literal(values[0]);
  return `[${values.map(literal).join(', ')}][fidx + 1]`;
}

interface Col {
  ref: string;
  cls: ColumnClass;
  type: string;
}

export class ParquetRecordSql {
  private readonly byName = new Map<string, Col>();

  constructor(
    private readonly ctx: RecordContext,
    private readonly kinds: readonly RecordKind[],
    private readonly columns: readonly ParquetColumn[],
  ) {
    columns.forEach((c, i) =>
      this.byName.set(c.name, { ref: parquetColumnAlias(i), cls: classOf(c.type), type: c.type }),
    );
  }

  /** The file columns that hold a member (camelCase spelling first). */
  private cols(member: string): Col[] {
    return spellings(member)
      .map((n) => this.byName.get(n))
      .filter((c): c is Col => c !== undefined);
  }

  private has(member: string): string {
    const c = this.cols(member);
    return c.length === 0 ? 'false' : `(${c.map((x) => `${x.ref} IS NOT NULL`).join(' OR ')})`;
  }

  /** A member's value as text (strings as themselves, nested values as JSON). */
  private text(c: Col): string {
    if (c.cls === 'string') return c.ref;
    if (c.cls === 'nested' || c.cls === 'json') return `to_json(${c.ref})::VARCHAR`;
    return `${c.ref}::VARCHAR`;
  }

  private pick(member: string, f: (c: Col) => string): string {
    const c = this.cols(member);
    if (c.length === 0) return 'NULL';
    return c.length === 1 ? f(c[0]) : `coalesce(${c.map(f).join(', ')})`;
  }

  private detectKindSql(): string {
    const et = this.pick('eventType', (c) => this.text(c));
    const has = (m: string) => this.has(m);
    return `CASE
    WHEN list_contains(${sqlList(LIFECYCLE_EVENT_TYPES)}, ${et}) THEN 'lifecycle'
    WHEN list_contains(${sqlList(REVIEW_EVENT_TYPES)}, ${et}) THEN 'review'
    WHEN ${has('observedAt')} OR (${has('outcome')} AND ${has('decisionId')} AND NOT ${has('modelId')}) THEN 'outcome'
    WHEN ${has('reviewerId')} OR (${has('taskId')} AND ${has('eventId')}) THEN 'review'
    WHEN ${has('decisionId')} AND (${has('modelId')} OR ${has('prediction')}) THEN 'decision'
    WHEN ${has('eventId')} AND ${has('modelId')} THEN 'lifecycle'
  END`;
  }

  parsed(inputSql: string): string {
    const ctx = this.ctx;
    const st = this.pick('stream', (c) => (c.cls === 'string' ? `nullif(${c.ref}, '')` : 'NULL'));
    const stream0 = `coalesce(${st}, ${perFile(ctx.files.map((f) => f.fileStream))})`;
    const declared = caseMap('stream0', [...ctx.declaredStreams.entries()]);
    const fileKind = ctx.fileKind ? sqlString(ctx.fileKind) : 'NULL';
    const defaultStream = caseMap(
      'kind',
      RECORD_KINDS.map((k) => [k, DEFAULT_STREAM[k]]),
    );
    return `parsed AS (
  SELECT *, coalesce(stream0, ${defaultStream}) AS stream_name,
    CASE WHEN kind IS NULL THEN 'unknown kind: no member identifies a decision, lifecycle event, review or outcome' END AS problem
  FROM (
    SELECT *, coalesce(${declared}, detected, ${fileKind}) AS kind
    FROM (SELECT *, ${stream0} AS stream0, ${this.detectKindSql()} AS detected FROM (${inputSql}))
  )
)`;
  }

  private typeCheck(m: MemberColumn): string[] {
    const accept: Record<string, ColumnClass[]> = {
      number: ['integer', 'number'],
      boolean: ['boolean'],
      time: ['string', 'integer', 'number', 'time'],
      seq: ['integer', 'number'],
    };
    const ok = accept[m.type];
    const out: string[] = [];
    for (const c of this.cols(m.member)) {
      if (ok && !ok.includes(c.cls)) {
        out.push(
          `CASE WHEN ${c.ref} IS NOT NULL THEN ${sqlString(`${m.member}: expected ${m.type === 'seq' ? 'a non-negative integer' : m.type === 'number' ? 'a number' : m.type === 'boolean' ? 'true or false' : 'an RFC 3339 string or epoch seconds'}, found ${CLASS_WORDS[c.cls]} (Parquet ${c.type})`)} END`,
        );
      } else if (m.type === 'seq') {
        out.push(
          `CASE WHEN ${c.ref} < 0 OR ${c.ref} <> floor(${c.ref}) THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || ${c.ref}::VARCHAR END`,
        );
      }
    }
    return out;
  }

  private typeProblems(kind: RecordKind): string {
    const checks = memberColumns(kind).flatMap((m) => this.typeCheck(m));
    return checks.length === 0 ? 'NULL' : `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
  }

  private valueExpr(m: MemberColumn): string {
    switch (m.type) {
      case 'string':
      case 'any':
        return this.pick(m.member, (c) => this.text(c));
      case 'number':
        return this.pick(m.member, (c) => `TRY_CAST(${c.ref} AS DOUBLE)`);
      case 'boolean':
        return this.pick(m.member, (c) => `TRY_CAST(${c.ref} AS BOOLEAN)`);
      case 'seq':
        return this.pick(m.member, (c) => `TRY_CAST(${c.ref} AS BIGINT)`);
      case 'json':
        return this.pick(m.member, (c) => (c.cls === 'json' ? c.ref : `to_json(${c.ref})`));
      case 'time':
        return this.pick(m.member, (c) =>
          c.cls === 'string'
            ? `TRY_CAST(${c.ref} AS TIMESTAMPTZ)`
            : c.cls === 'time'
              ? `TRY_CAST(${c.ref} AS TIMESTAMPTZ)`
              : `TRY(to_timestamp(CASE WHEN abs(${c.ref}::DOUBLE) >= 1e11 THEN ${c.ref}::DOUBLE / 1000 ELSE ${c.ref}::DOUBLE END))`,
        );
    }
  }

  private known(kind: RecordKind): Set<string> {
    return new Set(memberColumns(kind).flatMap((m) => spellings(m.member)));
  }

  private extraSql(kind: RecordKind): string {
    const known = this.known(kind);
    const extra = this.columns.map((c, i) => ({ c, i })).filter(({ c }) => !known.has(c.name));
    if (extra.length === 0) return 'NULL';
    const entries = extra
      .map(({ c, i }) => `{'k': ${sqlString(c.name)}, 'v': to_json(${parquetColumnAlias(i)})}`)
      .join(', ');
    const any = extra.map(({ i }) => `${parquetColumnAlias(i)} IS NOT NULL`).join(' OR ');
    return `CASE WHEN ${any} THEN to_json(map_from_entries(list_filter([${entries}], lambda e: e.v IS NOT NULL))) END`;
  }

  private dialect(kind: RecordKind): Dialect {
    const cols = memberColumns(kind).filter((m) => m.snake !== undefined);
    const snake = cols.some((m) => this.byName.has(m.snake as string));
    const camel = cols.some((m) => this.byName.has(m.member));
    return snake && camel ? 'mixed' : snake ? 'snake_case' : 'camelCase';
  }

  selectRecords(kind: RecordKind): string {
    const values = new Map<string, string>();
    for (const m of memberColumns(kind)) {
      if (m.textColumn)
        values.set(
          m.textColumn,
          this.pick(m.member, (c) => this.text(c)),
        );
      values.set(m.column, this.valueExpr(m));
    }
    values.set('stream', 'stream_name');
    values.set('extra', this.extraSql(kind));
    values.set('dialect', sqlString(this.dialect(kind)));
    values.set('unverifiable', 'unverifiable');
    values.set('import_id', String(this.ctx.importId));
    values.set('source_file_id', perFile(this.ctx.files.map((f) => f.sourceFileId)));
    values.set('source_file', perFile(this.ctx.files.map((f) => f.sourceFile)));
    values.set('line', 'line');
    values.set('row', 'row');
    values.set('raw', 'raw');
    const select = tableColumns(kind).map((c) => `${values.get(c.name) ?? 'NULL'} AS ${quoteIdent(c.name)}`);
    return `SELECT ${select.join(',\n  ')}
FROM (SELECT * FROM parsed WHERE problem IS NULL AND kind = ${sqlString(kind)})
WHERE ${this.typeProblems(kind)} IS NULL`;
  }

  selectProblems(): string {
    const typeProblem = `CASE kind ${this.kinds.map((k) => `WHEN ${sqlString(k)} THEN ${this.typeProblems(k)}`).join(' ')} END`;
    return `SELECT ${perFile(this.ctx.files.map((f) => f.sourceFileId))} AS source_file_id, ${perFile(this.ctx.files.map((f) => f.sourceFile))} AS file,
  line, row, reason, left(raw, 200) AS excerpt FROM (
  SELECT fidx, line, row, raw, coalesce(problem, ${typeProblem}) AS reason FROM parsed
) WHERE reason IS NOT NULL`;
  }

  kindCounts(): string {
    return `SELECT kind, count(*) AS records FROM parsed WHERE problem IS NULL GROUP BY kind`;
  }
}

function sqlList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(', ')}]::VARCHAR[]`;
}
