/**
 * Parquet records for the shared builder (record-sql.ts): the typed columns come straight from the
 * file's columns (no JSON parsing: a Parquet file already has types), judged by the column's type: a
 * member the spec makes a number stored in a VARCHAR column (e.g. "0.93") is a type problem on every
 * row that has a value there, reported with its row. `raw` is DuckDB's JSON rendering of the row
 * (source-sql.ts parquetRowsSql); a null column is an absent member (spec section 6).
 */
import type { RecordKind } from '../archive/kinds.ts';
import { memberColumns } from '../case/evidence-schema.ts';
import type { MemberColumn } from '../case/evidence-schema.ts';
import {
  RecordSqlBuilder,
  expectedWords,
  inexactNumberSql,
  numericTimeString,
  spellings,
  sqlString,
} from './record-sql.ts';
import type { RecordContext } from './record-sql.ts';

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

/** Integer column types wider than a double's 53-bit mantissa. */
const WIDE_INTEGER = /^(BIGINT|UBIGINT|HUGEINT|UHUGEINT)$/i;

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

/** Column classes a member type accepts (the rest are a type problem wherever the column has a value). */
const ACCEPTS: Partial<Record<MemberColumn['type'], ColumnClass[]>> = {
  number: ['integer', 'number'],
  boolean: ['boolean'],
  time: ['string', 'integer', 'number', 'time'],
  seq: ['integer', 'number'],
};

/** A DuckDB type name parsed far enough to compare nested types (see nestedTypesAgree). */
type ParsedType =
  | { kind: 'struct'; fields: Map<string, ParsedType> }
  | { kind: 'list'; elem: ParsedType; size: string }
  | { kind: 'map'; key: ParsedType; value: ParsedType }
  | { kind: 'scalar'; text: string };

/** Parses a type as DESCRIBE writes it: STRUCT(a BIGINT, "group" VARCHAR), X[], X[3], MAP(K, V), DECIMAL(18,3), ... */
function parseType(text: string): ParsedType {
  const tokens = text.match(/"(?:[^"]|"")*"|[(),[\]]|[^\s(),[\]"]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of type ${text}`);
    return t;
  };
  const ident = (t: string): string => (t.startsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t);
  const type = (): ParsedType => {
    const head = next().toUpperCase();
    let t: ParsedType;
    if (head === 'STRUCT' && peek() === '(') {
      next();
      const fields = new Map<string, ParsedType>();
      while (peek() !== ')') {
        const name = ident(next());
        fields.set(name, type());
        if (peek() === ',') next();
      }
      next();
      t = { kind: 'struct', fields };
    } else if (head === 'MAP' && peek() === '(') {
      next();
      const key = type();
      if (next() !== ',') throw new Error(`bad MAP type ${text}`);
      const value = type();
      next();
      t = { kind: 'map', key, value };
    } else {
      // A scalar, possibly several words (TIMESTAMP WITH TIME ZONE) or with arguments (DECIMAL(18,3)).
      let words = head;
      while (peek() !== undefined && !['(', ')', ',', '[', ']'].includes(peek() as string)) words += ` ${next()}`;
      if (peek() === '(') {
        let depth = 0;
        do {
          const tok = next();
          depth += tok === '(' ? 1 : tok === ')' ? -1 : 0;
          words += tok;
        } while (depth > 0);
      }
      t = { kind: 'scalar', text: words };
    }
    while (peek() === '[') {
      next();
      let size = '';
      while (peek() !== ']') size += next();
      next();
      t = { kind: 'list', elem: t, size };
    }
    return t;
  };
  const out = type();
  if (i !== tokens.length) throw new Error(`trailing text in type ${text}`);
  return out;
}

function agree(a: ParsedType, b: ParsedType): boolean {
  if (a.kind === 'struct' && b.kind === 'struct') {
    for (const [name, t] of a.fields) {
      const u = b.fields.get(name);
      if (u !== undefined && !agree(t, u)) return false;
    }
    return true;
  }
  if (a.kind === 'list' && b.kind === 'list') return a.size === b.size && agree(a.elem, b.elem);
  if (a.kind === 'map' && b.kind === 'map') return agree(a.key, b.key) && agree(a.value, b.value);
  return a.kind === 'scalar' && b.kind === 'scalar' && a.text === b.text;
}

/**
 * Whether two nested column types (STRUCT, LIST, MAP) differ only in the order of struct fields and in
 * fields one of them lacks: then read_parquet's union_by_name reads both files as one type (fields
 * by name, a missing field null), and no value changes its JSON rendering's meaning (to_json keeps
 * every value's type; the order of members and null members do not count for the hash, spec section 3).
 * Files whose daily columns differ only so (feature structs of different models) are then read by one
 * scan, which DuckDB writes as full row groups. Any other difference (a field that is a number in one
 * file and a string in the other) keeps them apart.
 */
export function nestedTypesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  if (classOf(a) !== 'nested' || classOf(b) !== 'nested') return false;
  try {
    return agree(parseType(a), parseType(b));
  } catch {
    return false;
  }
}

interface Col {
  ref: string;
  cls: ColumnClass;
  type: string;
}

export class ParquetRecordSql extends RecordSqlBuilder {
  private readonly byName = new Map<string, Col>();

  constructor(
    ctx: RecordContext,
    kinds: readonly RecordKind[],
    private readonly inputSql: string,
    private readonly columns: readonly ParquetColumn[],
  ) {
    super(ctx, kinds);
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

  protected present(member: string): string {
    const c = this.cols(member);
    return c.length === 0 ? 'false' : `(${c.map((x) => `${x.ref} IS NOT NULL`).join(' OR ')})`;
  }

  protected eventTypeText(): string {
    return this.pick('eventType', (c) => this.text(c));
  }

  protected recordStream(): string {
    return this.pick('stream', (c) => (c.cls === 'string' ? `nullif(${c.ref}, '')` : 'NULL'));
  }

  /** Every pass reads every row: Parquet has no suspects to set aside. */
  protected rowsSql(): string {
    return `SELECT *, pre_problem AS problem0 FROM (${this.inputSql})`;
  }

  protected typeChecks(m: MemberColumn): string[] {
    const ok = ACCEPTS[m.type];
    const out: string[] = [];
    for (const c of this.cols(m.member)) {
      if (ok && !ok.includes(c.cls)) {
        out.push(
          `CASE WHEN ${c.ref} IS NOT NULL THEN ${sqlString(`${m.member}: expected ${expectedWords(m)}, found ${CLASS_WORDS[c.cls]} (Parquet ${c.type})`)} END`,
        );
      } else if (m.type === 'time' && c.cls === 'string') {
        out.push(numericTimeString(m, c.ref, false));
      } else if (m.type === 'seq') {
        out.push(
          `CASE WHEN ${c.ref} < 0 OR ${c.ref} <> floor(${c.ref}) THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || ${c.ref}::VARCHAR END`,
        );
      }
      // A FLOAT or DOUBLE column holding infinity or NaN: no JSON number can carry it (the record cannot be
      // hashed as the producer wrote it), as JSONL's NaN and 1e400 are refused.
      if (
        c.cls === 'number' &&
        /^(FLOAT|DOUBLE)$/i.test(c.type) &&
        (m.type === 'number' || m.type === 'seq' || m.type === 'time')
      )
        out.push(
          `CASE WHEN isinf(${c.ref}) OR isnan(${c.ref}) THEN ${sqlString(`${m.member}: number `)} || ${c.ref}::VARCHAR || ${sqlString(' cannot be a JSON number (Parquet ')} || ${sqlString(c.type)} || ')' END`,
        );
      // A 64-bit (or wider) integer column: a value a double holds only rounded, as in JSONL.
      if (
        c.cls === 'integer' &&
        WIDE_INTEGER.test(c.type) &&
        (m.type === 'number' || m.type === 'seq' || m.type === 'time')
      )
        out.push(
          `CASE WHEN abs(TRY_CAST(${c.ref} AS HUGEINT)) > 9007199254740992 OR TRY_CAST(${c.ref} AS HUGEINT) IS NULL AND ${c.ref} IS NOT NULL THEN ${inexactNumberSql(m.member, `${c.ref}::VARCHAR`)} END`,
        );
    }
    return out;
  }

  protected valueSql(m: MemberColumn): string {
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
          c.cls === 'string' || c.cls === 'time'
            ? `TRY_CAST(${c.ref} AS TIMESTAMPTZ)`
            : `TRY(to_timestamp(CASE WHEN abs(${c.ref}::DOUBLE) >= 1e11 THEN ${c.ref}::DOUBLE / 1000 ELSE ${c.ref}::DOUBLE END))`,
        );
    }
  }

  protected textSql(m: MemberColumn): string {
    return this.pick(m.member, (c) => this.text(c));
  }

  private known(kind: RecordKind): Set<string> {
    return new Set(memberColumns(kind).flatMap((m) => spellings(m.member)));
  }

  protected extraSql(kind: RecordKind): string {
    const known = this.known(kind);
    const extra = this.columns.map((c, i) => ({ c, i })).filter(({ c }) => !known.has(c.name));
    if (extra.length === 0) return 'NULL';
    const entries = extra
      .map(({ c, i }) => `{'k': ${sqlString(c.name)}, 'v': to_json(${parquetColumnAlias(i)})}`)
      .join(', ');
    const any = extra.map(({ i }) => `${parquetColumnAlias(i)} IS NOT NULL`).join(' OR ');
    return `CASE WHEN ${any} THEN to_json(map_from_entries(list_filter([${entries}], lambda e: e.v IS NOT NULL))) END`;
  }

  protected dialectSql(kind: RecordKind): string {
    const cols = memberColumns(kind).filter((m) => m.snake !== undefined);
    const snake = cols.some((m) => this.byName.has(m.snake as string));
    const camel = cols.some((m) => this.byName.has(m.member));
    return sqlString(snake && camel ? 'mixed' : snake ? 'snake_case' : 'camelCase');
  }
}
