/**
 * The SQL that turns raw records into evidence rows, run by DuckDB over a batch of files at once. Input
 * is a relation `(fidx, line, row, raw, pre_problem, unverifiable)` (source-sql.ts): one row per line
 * (JSONL) or per Parquet row, `fidx` the 0-based index of the row's file in the batch, `raw` the text
 * of the record, `pre_problem` a reason found before SQL (a line that is not UTF-8, too long) or NULL,
 * `unverifiable` why a Parquet row's hash cannot be re-computed, or NULL.
 *
 * Cost is what shapes this file (it runs on every record). Each record is parsed twice: once by
 * json_extract with the list of every member spelling the batch can hold (camelCase and snake_case),
 * giving a list of JSON fragments by position (`x[i]`: NULL when the member is absent, 'null' when it
 * is null), and once by json_keys, only to count the members. A record with more members than slots
 * filled has unknown members or a duplicate name; only those rare records pay for the exact work
 * (list functions and lambdas cost microseconds per row). Types are judged from the first character of
 * each fragment, which DuckDB writes minified. No `IN (...)` lists: DuckDB plans long ones as joins.
 *
 * The kind and stream of a record follow the reader's rule (src/archive/open.ts assignRecord): the
 * record's `stream` member, else the file's stream; the kind the descriptor declares for that stream,
 * else the kind its content shows (kinds.ts detectKind), else the file's kind.
 */
import { DEFAULT_STREAM, LIFECYCLE_EVENT_TYPES, RECORD_KINDS, REVIEW_EVENT_TYPES, camelToSnake } from '../archive/kinds.ts';
import type { RecordKind } from '../archive/kinds.ts';
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

/** A per-file value: a constant when every file of the batch has the same, else a list lookup by fidx. */
function perFile(values: readonly (string | number | undefined)[]): string {
  const literal = (v: string | number | undefined): string =>
    v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sqlString(v);
  if (values.length === 0) return 'NULL';
  if (values.every((v) => v === values[0])) return literal(values[0]);
  return `[${values.map(literal).join(', ')}][fidx + 1]`;
}

/** Members used to tell kinds apart by content (kinds.ts detectKind). */
const DETECT_MEMBERS = ['eventType', 'observedAt', 'outcome', 'decisionId', 'modelId', 'reviewerId', 'taskId', 'eventId', 'prediction'];

function spellings(member: string): string[] {
  const snake = camelToSnake(member);
  return snake === member ? [member] : [member, snake];
}

/** Every member spelling a kind can hold (its members and the chain members). */
function knownNames(kind: RecordKind): string[] {
  return memberColumns(kind).flatMap((m) => spellings(m.member));
}

/** JSON type of a minified fragment from its first character. */
function fragmentType(v: string): string {
  return `CASE left(${v}, 1) WHEN '"' THEN 'a string' WHEN '{' THEN 'an object' WHEN '[' THEN 'an array' WHEN 't' THEN 'a boolean' WHEN 'f' THEN 'a boolean' WHEN 'n' THEN 'null' ELSE 'a number' END`;
}

function caseMap(expr: string, pairs: [string, string][], otherwise = 'NULL'): string {
  if (pairs.length === 0) return otherwise;
  return `CASE ${expr} ${pairs.map(([a, b]) => `WHEN ${sqlString(a)} THEN ${sqlString(b)}`).join(' ')} ELSE ${otherwise} END`;
}

/**
 * SQL for one batch: the slots (member spellings) are fixed by the kinds the batch may hold, so every
 * statement built from one instance reads the same `x` list.
 */
export class RecordSql {
  private readonly slots = new Map<string, number>();

  constructor(
    private readonly ctx: RecordContext,
    private readonly kinds: readonly RecordKind[],
  ) {
    const names: string[] = [];
    for (const k of kinds) names.push(...knownNames(k));
    for (const m of [...DETECT_MEMBERS, 'stream']) names.push(...spellings(m));
    for (const n of names) if (!this.slots.has(n)) this.slots.set(n, this.slots.size + 1);
  }

  private slot(name: string): string {
    const i = this.slots.get(name);
    if (i === undefined) throw new Error(`no slot for member ${name}`);
    return `x[${i}]`;
  }

  /** The fragment of a member: its camelCase spelling if present, else its snake_case one. */
  private fragment(member: string): string {
    const s = spellings(member).map((n) => this.slot(n));
    return s.length === 1 ? s[0] : `coalesce(${s.join(', ')})`;
  }

  private has(member: string): string {
    return `(${spellings(member)
      .map((n) => `${this.slot(n)} IS NOT NULL`)
      .join(' OR ')})`;
  }

  /** How many of a kind's member spellings the record holds (a member written null counts). */
  private presentOf(kind: RecordKind): string {
    return `(${knownNames(kind)
      .map((n) => `(${this.slot(n)} IS NOT NULL)::INTEGER`)
      .join(' + ')})`;
  }

  private detectKindSql(): string {
    const et = `json_extract_string(${this.fragment('eventType')}, '$')`;
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

  /**
   * The `parsed` relation (a CTE): every non-blank input row with its fragments `x`, member count
   * `nkeys`, kind, stream, and `problem` (NULL when nothing kind-independent is wrong).
   */
  parsed(inputSql: string): string {
    const ctx = this.ctx;
    const paths = `[${[...this.slots.keys()].map((n) => sqlString(`$."${n}"`)).join(', ')}]`;
    const st = this.slot('stream');
    const recordStream = `CASE WHEN left(${st}, 1) = '"' AND ${st} <> '""' THEN json_extract_string(${st}, '$') END`;
    const stream0 = `coalesce(${recordStream}, ${perFile(ctx.files.map((f) => f.fileStream))})`;
    const declared = caseMap('stream0', [...ctx.declaredStreams.entries()]);
    const fileKind = ctx.fileKind ? sqlString(ctx.fileKind) : 'NULL';
    const defaultStream = caseMap('kind', RECORD_KINDS.map((k) => [k, DEFAULT_STREAM[k]]));
    const filled = `list_count(x)`;
    return `parsed AS (
  SELECT *, coalesce(stream0, ${defaultStream}) AS stream_name,
    CASE
      WHEN pre_problem IS NOT NULL THEN pre_problem
      WHEN x IS NULL OR nkeys IS NULL THEN 'not valid JSON'
      WHEN left(ltrim(raw, E' \\t'), 1) <> '{' THEN 'not a JSON object'
      WHEN nkeys > ${filled} AND list_unique(json_keys(raw)) < nkeys THEN 'a member name appears twice: ' || ${duplicateNameSql('json_keys(raw)')}
      WHEN ${lenientJsonSql('raw')} THEN 'not valid JSON (NaN, Infinity or a trailing comma)'
      WHEN kind IS NULL THEN 'unknown kind: no member identifies a decision, lifecycle event, review or outcome'
    END AS problem
  FROM (
    SELECT *, coalesce(${declared}, detected, ${fileKind}) AS kind
    FROM (
      SELECT *, ${stream0} AS stream0, ${this.detectKindSql()} AS detected
      FROM (
        SELECT fidx, line, row, raw, pre_problem, unverifiable,
          CASE WHEN pre_problem IS NULL THEN try(json_extract(raw, ${paths})) END AS x,
          CASE WHEN pre_problem IS NULL THEN len(try(json_keys(raw))) END AS nkeys
        FROM (${inputSql})
        WHERE pre_problem IS NOT NULL OR (raw IS NOT NULL AND trim(raw, E' \\t') <> '')
      )
    )
  )
)`;
  }

  private typeCheck(m: MemberColumn): string | undefined {
    const v = this.fragment(m.member);
    const found = fragmentType(v);
    // `null` passes every check: a member written null is an absent member (spec section 3).
    const fail = (expected: string, firstChars: string) =>
      `CASE WHEN NOT contains(${sqlString(firstChars)}, left(${v}, 1)) THEN ${sqlString(`${m.member}: expected ${expected}, found `)} || ${found} END`;
    switch (m.type) {
      case 'string':
        return fail('a string', '"n');
      case 'number':
        return fail('a number', '-0123456789n');
      case 'boolean':
        return fail('true or false', 'tfn');
      case 'time':
        return fail('an RFC 3339 string or epoch seconds', '"-0123456789n');
      case 'seq':
        return `CASE WHEN ${v} <> 'null' AND NOT regexp_full_match(${v}::VARCHAR, '0|[1-9][0-9]{0,17}') THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || left(${v}::VARCHAR, 40) END`;
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
    return `nullif(concat_ws('; ', ${checks.join(',\n    ')}), '')`;
  }

  /** The value of a member converted to its column's type; assumes the record passed the type checks. */
  private valueExpr(m: MemberColumn): string {
    const v = this.fragment(m.member);
    switch (m.type) {
      case 'string':
      case 'any':
        return `json_extract_string(${v}, '$')`;
      case 'number':
        return `TRY_CAST(${v} AS DOUBLE)`;
      case 'boolean':
        return `TRY_CAST(${v} AS BOOLEAN)`;
      case 'json':
        return `nullif(${v}, 'null')`;
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

  /** `extra`: the members a kind does not name, as one JSON object; computed only for records that have some. */
  private extraSql(kind: RecordKind): string {
    const known = sqlList(knownNames(kind));
    return `CASE WHEN nkeys > ${this.presentOf(kind)} THEN
    to_json(map_from_entries(list_filter(map_entries(json_transform(raw, '"MAP(VARCHAR, JSON)"')), lambda e: NOT list_contains(${known}, e.key))))
  END`;
  }

  private dialectSql(kind: RecordKind): string {
    const cols = memberColumns(kind).filter((m) => m.snake !== undefined);
    const snake = cols.map((m) => `${this.slot(m.snake as string)} IS NOT NULL`).join(' OR ');
    const camel = cols.map((m) => `${this.slot(m.member)} IS NOT NULL`).join(' OR ');
    return `CASE WHEN (${snake}) AND (${camel}) THEN 'mixed' WHEN ${snake} THEN 'snake_case' ELSE 'camelCase' END`;
  }

  /** The rows of `kind` that pass every check, as the kind table's columns in order. */
  selectRecords(kind: RecordKind): string {
    const values = new Map<string, string>();
    for (const m of memberColumns(kind)) {
      if (m.textColumn) values.set(m.textColumn, `json_extract_string(${this.fragment(m.member)}, '$')`);
      values.set(m.column, this.valueExpr(m));
    }
    values.set('stream', 'stream_name');
    values.set('extra', this.extraSql(kind));
    values.set('dialect', this.dialectSql(kind));
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

  /** Every record that is not imported: its file, line / row, reason, and the start of its text. */
  selectProblems(): string {
    const typeProblem = `CASE kind ${this.kinds.map((k) => `WHEN ${sqlString(k)} THEN ${this.typeProblems(k)}`).join(' ')} END`;
    return `SELECT ${perFile(this.ctx.files.map((f) => f.sourceFileId))} AS source_file_id, ${perFile(this.ctx.files.map((f) => f.sourceFile))} AS file,
  line, row, reason, left(raw, 200) AS excerpt FROM (
  SELECT fidx, line, row, raw, coalesce(problem, ${typeProblem}) AS reason FROM parsed
) WHERE reason IS NOT NULL`;
  }

  /** Records per kind that pass the kind-independent checks, to learn which kinds a batch holds. */
  census(): string {
    return `SELECT kind, count(*) AS records FROM parsed WHERE problem IS NULL GROUP BY kind`;
  }
}

/** The first member name that occurs twice in a list of names (only evaluated for records that have one). */
function duplicateNameSql(keys: string): string {
  return `list_filter(list_distinct(${keys}), lambda n: len(list_filter(${keys}, lambda y: y = n)) > 1)[1]`;
}

/**
 * True when a text that DuckDB's lenient parser (yyjson) accepted holds what JSON forbids: NaN or
 * Infinity as Python's json.dumps writes them, or a trailing comma. A cheap substring test first; only
 * records that pass it have their string literals removed and are tested exactly, so "NaN" inside a
 * string does not count. (Lowercase nan / inf and a trailing comma followed by more than one space get
 * past this test; verification, which parses with JSON.parse, reports them.)
 */
function lenientJsonSql(raw: string): string {
  const cheap = ['NaN', 'Infinity', ',}', ',]', ', }', ', ]'].map((t) => `contains(${raw}, ${sqlString(t)})`).join(' OR ');
  const exact = `'[:,\\[]\\s*-?(NaN|Infinity)|,\\s*[}\\]]'`;
  return `((${cheap}) AND regexp_matches(regexp_replace(${raw}, '"(?:[^"\\\\]|\\\\.)*"', '""', 'g'), ${exact}))`;
}
