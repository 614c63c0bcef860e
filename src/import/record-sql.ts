/**
 * The SQL that turns raw records into evidence rows, run by DuckDB over a batch of files at once. Input
 * is a relation `(fidx, line, row, raw, pre_problem, unverifiable)` (source-sql.ts): one row per line
 * (JSONL) or per Parquet row, `fidx` the 0-based index of the row's file in the batch, `raw` the text
 * of the record, `pre_problem` a reason found before SQL (a line that is not UTF-8, too long) or NULL,
 * `unverifiable` why a Parquet row's hash cannot be re-computed, or NULL.
 *
 * Cost shapes this file: it runs on every record, and list functions with lambdas cost microseconds per
 * row. So the work is split in two:
 *   - a key census (keyCensusSql) groups the batch's records by their list of member names, which is
 *     nearly always a handful of lists, and judges each list once: a duplicate name, the members a
 *     kind does not name (its `extra` members), the spelling (camelCase / snake_case);
 *   - the load parses each record once (json_transform into a struct of the member spellings the
 *     batch actually uses, strings straight to VARCHAR) and looks up its list's verdict by hash only
 *     when the lists differ in something that matters for the kind being loaded.
 * Types of number, boolean, time and seq members are judged from the first character of their JSON
 * fragment (DuckDB writes fragments minified). String members are read as text: a number or an object
 * there is kept as its text rather than rejected. No `IN (...)` lists: DuckDB plans long ones as joins.
 *
 * The kind and stream of a record follow the reader's rule (src/archive/open.ts assignRecord): the
 * record's `stream` member, else the file's stream; the kind the descriptor declares for that stream,
 * else the kind its content shows (kinds.ts detectKind, a member written null counting as absent),
 * else the file's kind.
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

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function sqlList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(', ')}]::VARCHAR[]`;
}

/** One source file of a batch, at position `fidx` of the input relation's file index. */
export interface BatchFileContext {
  sourceFileId: number;
  sourceFile: string;
  /** Stream of records without a `stream` member (the reader's file fallback), if any. */
  fileStream?: string;
}

/** What the SQL needs to know about the files the records come from (one batch: same archive and kind). */
export interface RecordContext {
  /** Kind the reader assigned to the batch's files, if any. */
  fileKind?: RecordKind;
  /** stream name -> kind, from the archive's descriptor. */
  declaredStreams: ReadonlyMap<string, RecordKind>;
  importId: number;
  files: readonly BatchFileContext[];
}

/** What the key census of a batch found (see keyCensusSql). */
export interface KeyCensus {
  /** Temporary table of verdicts per member-name list. */
  table: string;
  /** Every member name some record of the batch has. */
  names: ReadonlySet<string>;
  /** Some record has a member name twice. */
  duplicates: boolean;
  /** Kinds for which some record has members the kind does not name. */
  extrasFor: ReadonlySet<RecordKind>;
  /** The spelling, when every list has the same. */
  dialect?: Dialect;
  /** How many records the fast load leaves to the careful pass (`<table>_suspects` lists them). */
  suspects: number;
}

/** A per-file value: a constant when every file of the batch has the same, else a list lookup by fidx. */
function perFile(values: readonly (string | number | undefined)[]): string {
  const literal = (v: string | number | undefined): string =>
    v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sqlString(v);
  if (values.length === 0) return 'NULL';
  if (values.every((v) => v === values[0])) return literal(values[0]);
  return `[${values.map(literal).join(', ')}][fidx + 1]`;
}

/** Members used to tell kinds apart by content (kinds.ts detectKind). */
const DETECT_MEMBERS = [
  'eventType',
  'observedAt',
  'outcome',
  'decisionId',
  'modelId',
  'reviewerId',
  'taskId',
  'eventId',
  'prediction',
];

function spellings(member: string): string[] {
  const snake = camelToSnake(member);
  return snake === member ? [member] : [member, snake];
}

/** Every member spelling a kind can hold (its members and the chain members). */
function knownNames(kind: RecordKind): string[] {
  return memberColumns(kind).flatMap((m) => spellings(m.member));
}

const ALL_MEMBERS: ReadonlySet<string> = new Set([
  ...RECORD_KINDS.flatMap((k) => memberColumns(k).map((m) => m.member)),
  ...DETECT_MEMBERS,
]);
const SNAKE_SPELLINGS = [...ALL_MEMBERS].map(camelToSnake).filter((s) => !ALL_MEMBERS.has(s));
const CAMEL_SPELLINGS = [...ALL_MEMBERS].filter((m) => camelToSnake(m) !== m);

/**
 * A non-blank input row (blank lines are skipped but keep their numbers). trim() copies the string, so
 * it only runs for the rare line that starts with a space or tab: a CASE, because DuckDB evaluates both
 * sides of an OR for every row.
 */
const NON_BLANK = `(pre_problem IS NOT NULL OR (raw IS NOT NULL AND CASE WHEN left(raw, 1) = ' ' OR left(raw, 1) = E'\\t' THEN trim(raw, E' \\t') <> '' ELSE true END))`;

/**
 * A record the fast load must not parse: not JSON (json_keys failed), not starting with `{`, or
 * holding a NaN / Infinity / trailing-comma look-alike. Such records are few; they are loaded (or
 * rejected) by the careful pass, which judges each exactly.
 */
const SUSPECT = `(k IS NULL OR left(raw, 1) <> '{' OR ${['NaN', 'Infinity', ',}', ',]', ', }', ', ]'].map((t) => `contains(raw, '${t}')`).join(' OR ')})`;

/** Position of a row in its batch: the line of a JSONL record, the row of a Parquet one. */
const POSITION = 'coalesce(line, row)';

/**
 * The statement that builds the key census of a batch into a temporary table: one row per distinct
 * list of member names (grouped by its 64-bit hash `h`; two lists with the same hash would share a
 * verdict, a chance of about one in 10^19 per pair), with `dup` (a name that occurs twice), `snake` / `camel` (spellings
 * seen), per kind the names it does not know (`unknown_<kind>`), and the positions of the suspect
 * records (SUSPECT) in `suspects`. Invalid JSON has a NULL list.
 */
export function keyCensusSql(inputSql: string, table: string): string {
  const perKind = RECORD_KINDS.map((k) => {
    const known = sqlList(knownNames(k));
    return `CASE WHEN k IS NOT NULL THEN list_filter(k, lambda n: NOT list_contains(${known}, n)) END AS unknown_${k}`;
  });
  return `CREATE OR REPLACE TEMP TABLE ${table} AS
SELECT CASE WHEN k IS NOT NULL THEN hash(k) END AS h, k, n, suspects,
  CASE WHEN list_unique(k) < len(k) THEN list_filter(list_sort(list_distinct(k)), lambda x: len(list_filter(k, lambda y: y = x)) > 1)[1] END AS dup,
  coalesce(list_has_any(k, ${sqlList(SNAKE_SPELLINGS)}), false) AS snake,
  coalesce(list_has_any(k, ${sqlList(CAMEL_SPELLINGS)}), false) AS camel,
  ${perKind.join(',\n  ')}
FROM (
  SELECT any_value(k) AS k, count(*) AS n, list({'fidx': fidx, 'pos': ${POSITION}}) FILTER (WHERE ${SUSPECT}) AS suspects
  FROM (SELECT fidx, line, row, raw, k, hash(k) AS kh FROM (
    SELECT fidx, line, row, raw, try(json_keys(raw)) AS k FROM (${inputSql}) WHERE pre_problem IS NULL AND ${NON_BLANK}))
  GROUP BY kh, k IS NULL
)`;
}

/** The statement that lists a census's suspect records (fidx, pos) in a table of their own. */
export function suspectsSql(table: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${table}_suspects AS
SELECT s.fidx AS fidx, s.pos AS pos FROM (SELECT unnest(suspects) AS s FROM ${table} WHERE suspects IS NOT NULL)`;
}

/** Reads what a census table found. */
export function keyCensusSummarySql(table: string): string {
  return `SELECT
  (SELECT list(DISTINCT name) FROM (SELECT unnest(k) AS name FROM ${table})) AS names,
  count(k) AS lists, coalesce(sum(len(suspects)), 0) AS suspects,
  bool_or(dup IS NOT NULL) AS duplicates,
  ${RECORD_KINDS.map((k) => `bool_or(len(unknown_${k}) > 0) AS extras_${k}`).join(', ')},
  count(DISTINCT (snake, camel)) AS dialects, bool_or(snake) AS any_snake, bool_or(camel) AS any_camel
FROM ${table}`;
}

/** JSON type of a minified fragment from its first character. */
function fragmentType(v: string): string {
  return `CASE left(${v}, 1) WHEN '"' THEN 'a string' WHEN '{' THEN 'an object' WHEN '[' THEN 'an array' WHEN 't' THEN 'a boolean' WHEN 'f' THEN 'a boolean' WHEN 'n' THEN 'null' ELSE 'a number' END`;
}

function caseMap(expr: string, pairs: [string, string][], otherwise = 'NULL'): string {
  if (pairs.length === 0) return otherwise;
  return `CASE ${expr} ${pairs.map(([a, b]) => `WHEN ${sqlString(a)} THEN ${sqlString(b)}`).join(' ')} ELSE ${otherwise} END`;
}

/** How json_transform reads a member: text for strings (and `any`), a JSON fragment when the type is checked. */
function targetType(type: MemberColumn['type'] | 'detect'): string {
  return type === 'string' || type === 'any' || type === 'detect' ? 'VARCHAR' : 'JSON';
}

/**
 * SQL for one batch and the kinds it may hold. Every statement built from one instance parses records
 * the same way, so `parsed` can be combined with any of the selects.
 */
export class RecordSql {
  /** Struct fields: member spelling -> json_transform target type. */
  private readonly fields = new Map<string, string>();

  constructor(
    private readonly ctx: RecordContext,
    private readonly kinds: readonly RecordKind[],
    private readonly keys: KeyCensus,
  ) {
    const add = (name: string, type: string): void => {
      if (keys.names.has(name) && !this.fields.has(name)) this.fields.set(name, type);
    };
    for (const k of kinds)
      for (const m of memberColumns(k)) for (const s of spellings(m.member)) add(s, targetType(m.type));
    for (const m of DETECT_MEMBERS) for (const s of spellings(m)) add(s, 'VARCHAR');
    add('stream', 'JSON');
  }

  /** The member's value (camelCase spelling first), or NULL when no record of the batch has it. */
  private fragment(member: string): string {
    const s = spellings(member)
      .filter((n) => this.fields.has(n))
      .map((n) => `j.${quoteIdent(n)}`);
    return s.length === 0 ? 'NULL' : s.length === 1 ? s[0] : `coalesce(${s.join(', ')})`;
  }

  private has(member: string): string {
    return `(${this.fragment(member)} IS NOT NULL)`;
  }

  private detectKindSql(): string {
    const et = this.fragment('eventType');
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

  /** Whether rows must be matched to their member-name list's verdict (for loading `kind`, or for problems). */
  private needsVerdicts(kind: RecordKind | undefined): boolean {
    if (this.keys.duplicates) return true;
    if (kind === undefined) return false;
    return this.keys.extrasFor.has(kind) || this.keys.dialect === undefined;
  }

  /**
   * The `parsed` relation (a CTE): non-blank input rows with their struct `j`, kind, stream, and
   * `problem` (NULL when nothing kind-independent is wrong). `forKind`: the kind being loaded.
   *
   * `pass` 'fast' leaves out the census's suspect records and parses the rest without guards (they are
   * known to be JSON objects); 'suspects' takes only those and judges each with every guard; 'all'
   * takes everything with every guard (to list problems and count kinds).
   */
  parsed(inputSql: string, forKind: RecordKind | undefined, pass: 'fast' | 'suspects' | 'all'): string {
    const ctx = this.ctx;
    const verdicts = this.needsVerdicts(forKind);
    const careful = pass !== 'fast';
    const struct = sqlString(JSON.stringify(Object.fromEntries(this.fields)));
    const st = this.fragment('stream');
    const recordStream = `CASE WHEN left(${st}, 1) = '"' AND ${st} <> '""' THEN json_extract_string(${st}, '$') END`;
    const stream0 = `coalesce(${recordStream}, ${perFile(ctx.files.map((f) => f.fileStream))})`;
    const declared = caseMap('stream0', [...ctx.declaredStreams.entries()]);
    const fileKind = ctx.fileKind ? sqlString(ctx.fileKind) : 'NULL';
    const defaultStream = caseMap(
      'kind',
      RECORD_KINDS.map((k) => [k, DEFAULT_STREAM[k]]),
    );
    const parse =
      this.fields.size === 0
        ? `CASE WHEN ${careful ? 'json_valid(raw)' : 'true'} THEN {'_': 1} END`
        : careful
          ? `try(json_transform(raw, ${struct}))`
          : `json_transform(raw, ${struct})`;
    const suspects = `${this.keys.table}_suspects`;
    const input =
      pass === 'fast' && this.keys.suspects > 0
        ? `(SELECT i.* FROM (${inputSql}) i ANTI JOIN ${suspects} s ON i.fidx = s.fidx AND coalesce(i.line, i.row) = s.pos)`
        : pass === 'suspects'
          ? `(SELECT i.* FROM (${inputSql}) i SEMI JOIN ${suspects} s ON i.fidx = s.fidx AND coalesce(i.line, i.row) = s.pos)`
          : `(${inputSql})`;
    const source = verdicts
      ? `(SELECT p.*, v.dup AS v_dup, v.snake AS v_snake, v.camel AS v_camel, ${RECORD_KINDS.map((k) => `v.unknown_${k} AS v_unknown_${k}`).join(', ')}
        FROM (SELECT *, CASE WHEN j IS NOT NULL THEN hash(${careful ? 'try(json_keys(raw))' : 'json_keys(raw)'}) END AS h FROM base) p
        LEFT JOIN ${this.keys.table} v ON v.h = p.h)`
      : 'base';
    return `base AS (
  SELECT fidx, line, row, raw, pre_problem, unverifiable, CASE WHEN pre_problem IS NULL THEN ${parse} END AS j
  FROM ${input} WHERE ${NON_BLANK}
),
parsed AS (
  SELECT *, coalesce(stream0, ${defaultStream}) AS stream_name,
    CASE
      WHEN pre_problem IS NOT NULL THEN pre_problem
      WHEN j IS NULL THEN 'not valid JSON'
      ${careful ? `WHEN left(raw, 1) <> '{' AND left(ltrim(raw, E' \\t'), 1) <> '{' THEN 'not a JSON object'` : ''}
      ${verdicts ? `WHEN v_dup IS NOT NULL THEN 'a member name appears twice: ' || v_dup` : ''}
      ${careful ? `WHEN ${lenientJsonSql('raw')} THEN 'not valid JSON (NaN, Infinity or a trailing comma)'` : ''}
      WHEN kind IS NULL THEN 'unknown kind: no member identifies a decision, lifecycle event, review or outcome'
    END AS problem
  FROM (
    SELECT *, coalesce(${declared}, detected, ${fileKind}) AS kind
    FROM (SELECT *, ${stream0} AS stream0, ${this.detectKindSql()} AS detected FROM ${source})
  )
)`;
  }

  private typeCheck(m: MemberColumn): string | undefined {
    const v = this.fragment(m.member);
    if (v === 'NULL') return undefined;
    const found = fragmentType(v);
    // null passes every check: a member written null is an absent member (spec section 3).
    const fail = (expected: string, firstChars: string) =>
      `CASE WHEN NOT contains(${sqlString(firstChars)}, left(${v}, 1)) THEN ${sqlString(`${m.member}: expected ${expected}, found `)} || ${found} END`;
    switch (m.type) {
      case 'number':
        return fail('a number', '-0123456789n');
      case 'boolean':
        return fail('true or false', 'tfn');
      case 'time':
        return fail('an RFC 3339 string or epoch seconds', '"-0123456789n');
      case 'seq':
        return `CASE WHEN NOT regexp_full_match(${v}::VARCHAR, '0|[1-9][0-9]{0,17}|null') THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || left(${v}::VARCHAR, 40) END`;
      case 'string':
      case 'json':
      case 'any':
        return undefined;
    }
  }

  /** Type problems of a record of `kind` ('; '-joined), NULL when there are none. */
  private typeProblems(kind: RecordKind): string {
    const checks = memberColumns(kind)
      .map((m) => this.typeCheck(m))
      .filter((c): c is string => c !== undefined);
    return checks.length === 0 ? 'NULL' : `nullif(concat_ws('; ', ${checks.join(',\n    ')}), '')`;
  }

  /** The value of a member converted to its column's type; assumes the record passed the type checks. */
  private valueExpr(m: MemberColumn): string {
    const v = this.fragment(m.member);
    if (v === 'NULL') return 'NULL';
    switch (m.type) {
      case 'string':
      case 'any':
      case 'json':
        return v;
      case 'number':
        return `TRY_CAST(${v} AS DOUBLE)`;
      case 'boolean':
        return `TRY_CAST(${v} AS BOOLEAN)`;
      case 'seq':
        return `TRY_CAST(${v} AS BIGINT)`;
      case 'time':
        // Epoch values of 1e11 and more are milliseconds (kinds.ts epochToIso); a string that does not
        // parse gives NULL here and stays in the _text column. TRY_CAST throughout: DuckDB may hoist a
        // shared sub-expression out of the CASE and evaluate it for every row.
        return `CASE WHEN left(${v}, 1) = '"' THEN TRY_CAST(json_extract_string(${v}, '$') AS TIMESTAMPTZ)
        ELSE TRY(to_timestamp(CASE WHEN abs(TRY_CAST(${v} AS DOUBLE)) >= 1e11 THEN TRY_CAST(${v} AS DOUBLE) / 1000 ELSE TRY_CAST(${v} AS DOUBLE) END)) END`;
    }
  }

  private extraSql(kind: RecordKind): string {
    if (!this.keys.extrasFor.has(kind)) return 'NULL';
    return `CASE WHEN len(v_unknown_${kind}) > 0 THEN
    to_json(map_from_entries(list_filter(map_entries(json_transform(raw, '"MAP(VARCHAR, JSON)"')), lambda e: list_contains(v_unknown_${kind}, e.key))))
  END`;
  }

  private dialectSql(): string {
    const d = this.keys.dialect;
    if (d !== undefined) return sqlString(d);
    return `CASE WHEN v_snake AND v_camel THEN 'mixed' WHEN v_snake THEN 'snake_case' ELSE 'camelCase' END`;
  }

  /** The rows of `kind` that pass every check, as the kind table's columns in order (use with parsed(input, kind)). */
  selectRecords(kind: RecordKind): string {
    const values = new Map<string, string>();
    for (const m of memberColumns(kind)) {
      if (m.textColumn) {
        const v = this.fragment(m.member);
        values.set(m.textColumn, v === 'NULL' ? 'NULL' : `json_extract_string(${v}, '$')`);
      }
      values.set(m.column, this.valueExpr(m));
    }
    values.set('stream', 'stream_name');
    values.set('extra', this.extraSql(kind));
    values.set('dialect', this.dialectSql());
    values.set('unverifiable', 'unverifiable');
    values.set('import_id', String(this.ctx.importId));
    values.set('source_file_id', perFile(this.ctx.files.map((f) => f.sourceFileId)));
    values.set('source_file', perFile(this.ctx.files.map((f) => f.sourceFile)));
    values.set('line', 'line');
    values.set('row', 'row');
    values.set('raw', 'raw');
    const select = tableColumns(kind).map((c) => {
      const v = values.get(c.name);
      if (v === undefined) throw new Error(`no value for column ${c.name}`);
      return `${v} AS ${quoteIdent(c.name)}`;
    });
    return `SELECT ${select.join(',\n  ')}
FROM (SELECT * FROM parsed WHERE problem IS NULL AND kind = ${sqlString(kind)})
WHERE ${this.typeProblems(kind)} IS NULL`;
  }

  /** Every record that is not imported: its file, line / row, reason, and the start of its text (use with parsed(input)). */
  selectProblems(): string {
    const typeProblem = `CASE kind ${this.kinds.map((k) => `WHEN ${sqlString(k)} THEN ${this.typeProblems(k)}`).join(' ')} END`;
    return `SELECT ${perFile(this.ctx.files.map((f) => f.sourceFileId))} AS source_file_id, ${perFile(this.ctx.files.map((f) => f.sourceFile))} AS file,
  line, row, reason, left(raw, 200) AS excerpt FROM (
  SELECT fidx, line, row, raw, coalesce(problem, ${typeProblem}) AS reason FROM parsed
) WHERE reason IS NOT NULL`;
  }

  /** Records per kind that pass the kind-independent checks, to learn which kinds a batch holds (use with parsed(input)). */
  kindCounts(): string {
    return `SELECT kind, count(*) AS records FROM parsed WHERE problem IS NULL GROUP BY kind`;
  }
}

/**
 * True when a text that DuckDB's lenient parser (yyjson) accepted holds what JSON forbids: NaN or
 * Infinity as Python's json.dumps writes them, or a trailing comma. A cheap substring test first; only
 * records that pass it have their string literals removed and are tested exactly, so "NaN" inside a
 * string does not count. (Lowercase nan / inf and a trailing comma followed by more than one space get
 * past this test; verification, which parses with JSON.parse, reports them.)
 */
function lenientJsonSql(raw: string): string {
  const cheap = ['NaN', 'Infinity', ',}', ',]', ', }', ', ]']
    .map((t) => `contains(${raw}, ${sqlString(t)})`)
    .join(' OR ');
  const exact = `'[:,\\[]\\s*-?(NaN|Infinity)|,\\s*[}\\]]'`;
  return `((${cheap}) AND regexp_matches(regexp_replace(${raw}, '"(?:[^"\\\\]|\\\\.)*"', '""', 'g'), ${exact}))`;
}
