/**
 * The SQL that turns records into evidence rows, run by DuckDB over a batch of files at once. One
 * builder (RecordSqlBuilder) for both formats; a subclass says how a member is read:
 *   - JSONL (JsonlRecordSql, here): each line parsed once with json_transform into a struct of the
 *     member spellings the batch uses;
 *   - Parquet (parquet-sql.ts): straight from the file's typed columns, no parsing.
 * The rest is shared: which kind and stream a record belongs to, the provenance columns, the row
 * filters, the listing of problems.
 *
 * Input is a relation `(fidx, line, row, raw, pre_problem, unverifiable, ...)` (source-sql.ts): one row
 * per line (JSONL) or per Parquet row, `fidx` the 0-based index of the row's file in the batch, `raw`
 * the text of the record, `pre_problem` a reason found before SQL (a line that is not UTF-8, too long)
 * or NULL, `unverifiable` why a Parquet row's hash cannot be re-computed, or NULL.
 *
 * Every statement is a self-contained SELECT (no WITH at the top), so the loader can put the batches
 * of one kind side by side in a single `INSERT ... SELECT ... UNION ALL SELECT ...`: one INSERT per
 * table per import. (Several INSERTs into one table in a transaction leave partly filled row groups
 * that DuckDB's COMMIT then merges: at 200,000 decisions five INSERTs cost a 5 s COMMIT, one 0.5 s.)
 *
 * JSONL cost shapes this file: it runs on every record, and list functions with lambdas cost
 * microseconds per row. So the work is split in two:
 *   - a key census (keyCensusSql) groups the batch's records by their list of member names, which is
 *     nearly always a handful of lists, and judges each list once: a duplicate name, the members a
 *     kind does not name (its `extra` members), the spelling (camelCase / snake_case);
 *   - the load parses each record once (json_transform into a struct of the member spellings the
 *     batch actually uses, strings straight to VARCHAR) and looks up its list's verdict by hash only
 *     when the lists differ in something that matters for the kind being loaded.
 * Types of number, boolean, time and seq members are judged from the first character of their JSON
 * fragment (DuckDB writes fragments minified); a number their column would hold rounded (an integer
 * beyond 2^53 that a double cannot carry, 1e400) is rejected (inexactNumberSql). String members are read as text: a number or an object
 * there is kept as its text rather than rejected. No `IN (...)` lists: DuckDB plans long ones as joins.
 *
 * The kind and stream of a record follow the reader's rule (src/archive/open.ts assignRecord): the
 * record's `stream` member (a non-empty string), else the file's stream; the kind the descriptor
 * declares for that stream, else the kind its content shows (kinds.ts detectKind), else the file's
 * kind. A member written null counts as absent, as in the hash rule and in Parquet (spec sections 3
 * and 6): kinds.ts detectKind decides the same way.
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

export function sqlList(items: readonly string[]): string {
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

/**
 * Which records a statement reads. JSONL: 'fast' leaves out the census's suspect records and parses
 * the rest without guards (they are known to be JSON objects); 'suspects' takes only those and judges
 * each with every guard; 'all' takes everything with every guard (to list problems and count kinds).
 * Parquet has no suspects: every pass reads every row.
 */
export type RecordPass = 'fast' | 'suspects' | 'all';

/** A per-file value: a constant when every file of the batch has the same, else a list lookup by fidx. */
export function perFile(values: readonly (string | number | undefined)[]): string {
  const literal = (v: string | number | undefined): string =>
    v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sqlString(v);
  if (values.length === 0) return 'NULL';
  if (values.every((v) => v === values[0])) return literal(values[0]);
  return `[${values.map(literal).join(', ')}][fidx + 1]`;
}

function caseMap(expr: string, pairs: [string, string][], otherwise = 'NULL'): string {
  if (pairs.length === 0) return otherwise;
  return `CASE ${expr} ${pairs.map(([a, b]) => `WHEN ${sqlString(a)} THEN ${sqlString(b)}`).join(' ')} ELSE ${otherwise} END`;
}

/** Both spellings of a member (camelCase first). */
export function spellings(member: string): string[] {
  const snake = camelToSnake(member);
  return snake === member ? [member] : [member, snake];
}

/** The words of a type problem: "<member>: expected <what>, found ". */
export function expectedWords(m: MemberColumn): string {
  switch (m.type) {
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'time':
      return 'an RFC 3339 string or epoch seconds';
    case 'seq':
      return 'a non-negative integer';
    default:
      return 'a value';
  }
}

/**
 * A time member written as a number in a string ("1700000000.5"): neither an RFC 3339 string nor epoch
 * seconds (spec section 3), so a wrong type, not a time that fails to parse. `quoted`: the value is a
 * JSON fragment (with its quotes), else plain text. RFC 3339 has a '-' after the year, so the pattern
 * only runs for the rare string without one.
 */
export function numericTimeString(m: MemberColumn, v: string, quoted: boolean): string {
  const number = '-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?';
  const test = quoted
    ? `left(${v}, 1) = '"' AND substr(${v}, 6, 1) <> '-' AND regexp_full_match(${v}, '"${number}"')`
    : `substr(${v}, 5, 1) <> '-' AND regexp_full_match(${v}, '${number}')`;
  return `CASE WHEN ${test} THEN ${sqlString(`${m.member}: expected ${expectedWords(m)}, found a string holding a number`)} END`;
}

/**
 * A number written in a typed member (number, time) that its column cannot hold as written: beyond the
 * range of a double (1e400), or an integer a double holds only rounded (9007199254740993: beyond 2^53).
 * `text` is the number's JSON text (DuckDB keeps such numbers as written). Other decimals are what
 * JSON numbers mean (the nearest double), as in the reader. Only texts of 16 characters or more, or with
 * an exponent, are looked at closely, so the cost is a length and two byte searches per value.
 */
export function inexactNumberSql(member: string, text: string): string {
  const shown = shownNumberSql(text);
  const says = (why: string) =>
    `${sqlString(`${member}: number `)} || ${shown} || ${sqlString(` cannot be stored exactly (${why})`)}`;
  return `CASE WHEN contains('-0123456789', left(${text}, 1)) AND (strlen(${text}) >= 16 OR contains(${text}, 'e') OR contains(${text}, 'E')) THEN
    CASE WHEN isinf(TRY_CAST(${text} AS DOUBLE)) THEN ${says('beyond the range of a double')}
      WHEN ${exactIntegerTestSql(text, '-?[0-9]+')} THEN ${says('beyond 2^53')} END
  END`;
}

/** A number's text for a message: its first 40 characters, as the reader shows it. */
export function shownNumberSql(text: string): string {
  return `CASE WHEN strlen(${text}) > 40 THEN left(${text}, 40) || '...' ELSE ${text} END`;
}

/**
 * SQL true when `text` is an integer (matching `pattern`) that a double holds only rounded: printf
 * writes the double's exact value, so any integer a double holds comes back as written (JSON integers
 * have no leading zeros).
 */
export function exactIntegerTestSql(text: string, pattern: string): string {
  return `regexp_full_match(${text}, ${sqlString(pattern)}) AND printf('%.0f', TRY_CAST(${text} AS DOUBLE)) <> ${text}`;
}

const UNKNOWN_KIND = 'unknown kind: no member identifies a decision, lifecycle event, review or outcome';

/**
 * SQL for one batch and the kinds it may hold. Every statement built from one instance reads records
 * the same way. Subclasses say how a member is read; this class decides kind, stream, filters and the
 * provenance columns.
 */
export abstract class RecordSqlBuilder {
  constructor(
    protected readonly ctx: RecordContext,
    protected readonly kinds: readonly RecordKind[],
  ) {}

  /** SQL true when the record holds `member` (either spelling) with a value other than null. */
  protected abstract present(member: string): string;
  /** SQL text of the eventType member (compared with the event type names), or NULL. */
  protected abstract eventTypeText(): string;
  /** SQL of the record's own `stream` member when it is a non-empty string, else NULL. */
  protected abstract recordStream(): string;
  /** SQL expressions giving a type problem of `m` (a reason) or NULL. */
  protected abstract typeChecks(m: MemberColumn): string[];
  /** The member's value in its column's type (for rows that passed the type checks). */
  protected abstract valueSql(m: MemberColumn): string;
  /** A time member's value as written (its `_text` column). */
  protected abstract textSql(m: MemberColumn): string;
  /** The `extra` column: members `kind` does not name, as JSON, or NULL. */
  protected abstract extraSql(kind: RecordKind): string;
  /** The `dialect` column. */
  protected abstract dialectSql(kind: RecordKind): string;
  /**
   * The batch's rows with what the subclass needs to read members, and `problem0`: a reason that
   * does not depend on the kind (not JSON, a duplicate member name, ...) or NULL.
   */
  protected abstract rowsSql(forKind: RecordKind | undefined, pass: RecordPass): string;

  private detectKindSql(): string {
    const et = this.eventTypeText();
    const has = (m: string) => this.present(m);
    const eventTypeRules =
      et === 'NULL'
        ? ''
        : `WHEN list_contains(${sqlList(LIFECYCLE_EVENT_TYPES)}, ${et}) THEN 'lifecycle'
    WHEN list_contains(${sqlList(REVIEW_EVENT_TYPES)}, ${et}) THEN 'review'
    `;
    return `CASE
    ${eventTypeRules}WHEN ${has('observedAt')} OR (${has('outcome')} AND ${has('decisionId')} AND NOT ${has('modelId')}) THEN 'outcome'
    WHEN ${has('reviewerId')} OR (${has('taskId')} AND ${has('eventId')}) THEN 'review'
    WHEN ${has('decisionId')} AND (${has('modelId')} OR ${has('prediction')}) THEN 'decision'
    WHEN ${has('eventId')} AND ${has('modelId')} THEN 'lifecycle'
  END`;
  }

  /**
   * The rows with `kind`, `stream_name` and `problem` (NULL when nothing kind-independent is wrong).
   * `forKind`: the kind being loaded (undefined: any).
   */
  protected parsedSql(forKind: RecordKind | undefined, pass: RecordPass): string {
    const ctx = this.ctx;
    const stream0 = `coalesce(${this.recordStream()}, ${perFile(ctx.files.map((f) => f.fileStream))})`;
    const declared = caseMap('stream0', [...ctx.declaredStreams.entries()]);
    const fileKind = ctx.fileKind ? sqlString(ctx.fileKind) : 'NULL';
    const defaultStream = caseMap(
      'kind',
      RECORD_KINDS.map((k) => [k, DEFAULT_STREAM[k]]),
    );
    return `SELECT *, coalesce(stream0, ${defaultStream}) AS stream_name,
    coalesce(problem0, CASE WHEN kind IS NULL THEN ${sqlString(UNKNOWN_KIND)} END) AS problem
  FROM (
    SELECT *, coalesce(${declared}, detected, ${fileKind}) AS kind
    FROM (SELECT *, ${stream0} AS stream0, ${this.detectKindSql()} AS detected FROM (${this.rowsSql(forKind, pass)}))
  )`;
  }

  /** Type problems of a record of `kind` ('; '-joined), NULL when there are none. */
  protected typeProblems(kind: RecordKind): string {
    const checks = memberColumns(kind).flatMap((m) => this.typeChecks(m));
    return checks.length === 0 ? 'NULL' : `nullif(concat_ws('; ', ${checks.join(',\n    ')}), '')`;
  }

  /**
   * The rows of `kind` that pass every check, as the kind table's columns in order, each cast to the
   * column's type (so the SELECTs of several batches line up in a UNION ALL without a conversion).
   */
  records(kind: RecordKind, pass: RecordPass): string {
    const values = new Map<string, string>();
    for (const m of memberColumns(kind)) {
      if (m.textColumn) values.set(m.textColumn, this.textSql(m));
      values.set(m.column, this.valueSql(m));
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
    // The record text lives in the case's copy of its source file (src/case/source-copies.ts), not here.
    values.set('raw', 'NULL');
    const select = tableColumns(kind).map((c) => {
      const v = values.get(c.name);
      if (v === undefined) throw new Error(`no value for column ${c.name}`);
      return `CAST(${v} AS ${c.sqlType}) AS ${quoteIdent(c.name)}`;
    });
    return `SELECT ${select.join(',\n  ')}
FROM (SELECT * FROM (${this.parsedSql(kind, pass)}) WHERE problem IS NULL AND kind = ${sqlString(kind)})
WHERE ${this.typeProblems(kind)} IS NULL`;
  }

  /** Every record that is not imported: its file, line / row, reason, and the start of its text. */
  problems(): string {
    const typeProblem = `CASE kind ${this.kinds.map((k) => `WHEN ${sqlString(k)} THEN ${this.typeProblems(k)}`).join(' ')} END`;
    return `SELECT ${perFile(this.ctx.files.map((f) => f.sourceFileId))} AS source_file_id, ${perFile(this.ctx.files.map((f) => f.sourceFile))} AS file,
  line, row, reason, left(raw, 200) AS excerpt FROM (
  SELECT fidx, line, row, raw, coalesce(problem, ${typeProblem}) AS reason FROM (${this.parsedSql(undefined, 'all')})
) WHERE reason IS NOT NULL`;
  }

  /** Records per kind that pass the kind-independent checks, to learn which kinds a batch holds. */
  kindCounts(): string {
    return `SELECT kind, count(*) AS records FROM (${this.parsedSql(undefined, 'all')}) WHERE problem IS NULL GROUP BY kind`;
  }
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
 * sides of an OR for every row. A line's first byte is tested with starts_with, never left(raw, 1):
 * left() first checks the whole line for non-ASCII characters (2 to 4% of an import's CPU, on 1M
 * decisions read by three statements).
 */
export const NON_BLANK = `(pre_problem IS NOT NULL OR (raw IS NOT NULL AND CASE WHEN starts_with(raw, ' ') OR starts_with(raw, E'\\t') THEN trim(raw, E' \\t') <> '' ELSE true END))`;

/**
 * Texts that DuckDB's lenient parser reads where JSON has none: NaN, Infinity, a trailing comma. A
 * record holding one is a suspect (below); the scan notes whether a file holds any at all
 * (scan.ts LineFacts.lenientTokens), so the census looks for them only in the files that do.
 */
export const LENIENT_TOKENS = ['NaN', 'Infinity', ',}', ',]', ', }', ', ]'] as const;

/**
 * A record the fast load must not parse: not JSON (json_keys failed), not starting with `{`, or (in a
 * file `lenient` says may hold them) holding a NaN / Infinity / trailing-comma look-alike. Such
 * records are few; they are loaded (or rejected) by the careful pass, which judges each exactly.
 */
function suspectSql(lenient: readonly boolean[]): string {
  const tokens = LENIENT_TOKENS.map((t) => `contains(raw, '${t}')`).join(' OR ');
  const inFile = perFile(lenient.map((l) => (l ? 1 : 0)));
  const tokenTest = inFile === '0' ? 'false' : inFile === '1' ? `(${tokens})` : `(${inFile} = 1 AND (${tokens}))`;
  return `(k IS NULL OR NOT starts_with(raw, '{') OR ${tokenTest})`;
}

/**
 * The statement that builds the key census of a batch into a temporary table: one row per distinct
 * list of member names (grouped by its 64-bit hash `h`; two lists with the same hash would share a
 * verdict, a chance of about one in 10^19 per pair), with `dup` (a name that occurs twice), `snake` / `camel` (spellings
 * seen), per kind the names it does not know (`unknown_<kind>`), and the suspect records (suspectSql) in
 * `suspects`, each by its file and the hash of its text (the census reads the lines unnumbered, and
 * identical lines are judged alike). Invalid JSON has a NULL list when `invalidJson` is 'null'; with
 * 'throw' the statement fails on it instead, which is what try() costs to avoid: 0.2 to 0.5 s of a 1.3 s
 * census of 1M decisions, paid for every record of an archive that almost never holds an invalid one.
 */
export function keyCensusSql(
  inputSql: string,
  table: string,
  lenient: readonly boolean[],
  invalidJson: 'throw' | 'null' = 'null',
): string {
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
  SELECT any_value(k) AS k, count(*) AS n, list({'fidx': fidx, 'h': hash(raw)}) FILTER (WHERE ${suspectSql(lenient)}) AS suspects
  FROM (SELECT fidx, line, row, raw, k, hash(k) AS kh FROM (
    SELECT fidx, line, row, raw, ${invalidJson === 'null' ? 'try(json_keys(raw))' : 'json_keys(raw)'} AS k FROM (${inputSql}) WHERE pre_problem IS NULL AND ${NON_BLANK}))
  GROUP BY kh, k IS NULL
)`;
}

/**
 * A batch's line index (read by source-sql.ts numberedByIndexSql) and the per-line half of its key census,
 * in one pass over the numbered lines: per distinct (file, hash of the line's text), its first line and
 * how many lines share them (`n`; blank lines are left out), the hash of the line's member-name list
 * (`kh`, NULL for a line that is not JSON; `kh_max` differs from it only when two different texts share
 * the line hash) and whether it is a suspect (suspectSql). The census proper is then taken over one line per distinct `kh` (loader.ts):
 * at 1M decisions 1.3 s against 1.2 s for the census and 0.5 s for the index, each reading every line.
 */
export function censusIndexSql(
  numberedSql: string,
  table: string,
  lenient: readonly boolean[],
  invalidJson: 'throw' | 'null',
): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS
SELECT fidx, h, min(line) AS line, count(*) AS n, min(kh) AS kh, max(kh) AS kh_max, bool_or(suspect) AS suspect
FROM (SELECT fidx, line, hash(raw) AS h, CASE WHEN k IS NOT NULL THEN hash(k) END AS kh, ${suspectSql(lenient)} AS suspect
  FROM (SELECT fidx, line, raw, ${invalidJson === 'null' ? 'try(json_keys(raw))' : 'json_keys(raw)'} AS k
    FROM (${numberedSql}) WHERE pre_problem IS NULL AND ${NON_BLANK}))
GROUP BY fidx, h`;
}

/** The statement that lists a census's suspect records (fidx, h) in a table of their own. */
export function suspectsSql(table: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${table}_suspects AS
SELECT s.fidx AS fidx, s.h AS h FROM (SELECT unnest(suspects) AS s FROM ${table} WHERE suspects IS NOT NULL)`;
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

/** How json_transform reads a member: text for strings (and `any`), a JSON fragment when the type is checked. */
function targetType(type: MemberColumn['type'] | 'detect'): string {
  return type === 'string' || type === 'any' || type === 'detect' ? 'VARCHAR' : 'JSON';
}

/** Past this many member names the batch's kinds do not name, `extra` is read by a second parse (extraSql). */
const MAX_EXTRA_FIELDS = 64;

/** JSONL records: each line parsed once (json_transform) into a struct `j` of the member spellings the batch uses. */
export class JsonlRecordSql extends RecordSqlBuilder {
  /** Struct fields: member spelling -> json_transform target type. */
  private readonly fields = new Map<string, string>();

  constructor(
    ctx: RecordContext,
    kinds: readonly RecordKind[],
    private readonly inputSql: string,
    private readonly keys: KeyCensus,
    /** The lines for the fast pass, when they can be read faster than `inputSql` (numbered by a line index). */
    private readonly fastInputSql: string = inputSql,
    /** Whether fastInputSql gives each line `kh`, the hash of its member-name list (no second parse for it). */
    private readonly fastInputKeyHashes = false,
  ) {
    super(ctx, kinds);
    const add = (name: string, type: string): void => {
      if (keys.names.has(name) && !this.fields.has(name)) this.fields.set(name, type);
    };
    // `stream` as a JSON fragment: only a string member names the record's stream (not 5, not {}).
    add('stream', 'JSON');
    for (const k of kinds)
      for (const m of memberColumns(k)) for (const s of spellings(m.member)) add(s, targetType(m.type));
    for (const m of DETECT_MEMBERS) for (const s of spellings(m)) add(s, 'VARCHAR');
    // The members a kind does not name are read in the same parse, as JSON fields of `j`, when they can
    // be: few enough, not already read as text, and no two names that DuckDB's struct would take for one
    // (its field names ignore case). Else extraSql parses the record once more, as a map.
    const lower = new Set<string>();
    const clash = (n: string): boolean => {
      const l = n.toLowerCase();
      if (n === '' || lower.has(l)) return true;
      lower.add(l);
      return false;
    };
    for (const n of this.fields.keys()) lower.add(n.toLowerCase());
    const unknown = new Set<string>();
    for (const k of kinds) {
      if (!keys.extrasFor.has(k)) continue;
      const known = new Set(knownNames(k));
      for (const n of keys.names) if (!known.has(n)) unknown.add(n);
    }
    const added = [...unknown].filter((n) => !this.fields.has(n));
    const fits =
      unknown.size > 0 &&
      unknown.size <= MAX_EXTRA_FIELDS &&
      [...unknown].every((n) => !this.fields.has(n) || this.fields.get(n) === 'JSON') &&
      !added.some(clash);
    if (fits) {
      for (const n of added) this.fields.set(n, 'JSON');
      this.extraFields = [...unknown];
    }
  }

  /** Names of the members no kind of the batch names, read as fields of `j` (see the constructor). */
  private readonly extraFields: string[] | undefined;

  /** The member's value (camelCase spelling first; JSON null reads as NULL), or NULL when no record of the batch has it. */
  private fragment(member: string): string {
    const s = spellings(member)
      .filter((n) => this.fields.has(n))
      .map((n) => `j.${quoteIdent(n)}`);
    return s.length === 0 ? 'NULL' : s.length === 1 ? s[0] : `coalesce(${s.join(', ')})`;
  }

  protected present(member: string): string {
    const f = this.fragment(member);
    return f === 'NULL' ? 'false' : `(${f} IS NOT NULL)`;
  }

  protected eventTypeText(): string {
    return this.fragment('eventType');
  }

  protected recordStream(): string {
    const st = this.fragment('stream');
    if (st === 'NULL') return 'NULL';
    return `CASE WHEN left(${st}, 1) = '"' AND ${st} <> '""' THEN json_extract_string(${st}, '$') END`;
  }

  /** Whether rows must be matched to their member-name list's verdict (for loading `kind`, or for problems). */
  private needsVerdicts(kind: RecordKind | undefined): boolean {
    if (this.keys.duplicates) return true;
    if (kind === undefined) return false;
    return this.keys.extrasFor.has(kind) || this.keys.dialect === undefined;
  }

  protected rowsSql(forKind: RecordKind | undefined, pass: RecordPass): string {
    const verdicts = this.needsVerdicts(forKind);
    const careful = pass !== 'fast';
    const struct = sqlString(JSON.stringify(Object.fromEntries(this.fields)));
    const parse =
      this.fields.size === 0
        ? `CASE WHEN ${careful ? 'json_valid(raw)' : 'true'} THEN {'_': 1} END`
        : careful
          ? `try(json_transform(raw, ${struct}))`
          : `json_transform(raw, ${struct})`;
    const suspects = `${this.keys.table}_suspects`;
    const inputSql = pass === 'fast' ? this.fastInputSql : this.inputSql;
    const input =
      pass === 'fast' && this.keys.suspects > 0
        ? `(SELECT i.* FROM (${inputSql}) i ANTI JOIN ${suspects} s ON i.fidx = s.fidx AND hash(i.raw) = s.h)`
        : pass === 'suspects'
          ? `(SELECT i.* FROM (${inputSql}) i SEMI JOIN ${suspects} s ON i.fidx = s.fidx AND hash(i.raw) = s.h)`
          : `(${inputSql})`;
    const keyHashes = pass === 'fast' && this.fastInputKeyHashes;
    const base = `(SELECT fidx, line, row, raw, pre_problem, unverifiable${keyHashes ? ', kh' : ''}, CASE WHEN pre_problem IS NULL THEN ${parse} END AS j
  FROM ${input} WHERE ${NON_BLANK})`;
    const keyHash = keyHashes ? 'kh' : `hash(${careful ? 'try(json_keys(raw))' : 'json_keys(raw)'})`;
    const source = verdicts
      ? `(SELECT p.*, v.dup AS v_dup, v.snake AS v_snake, v.camel AS v_camel, ${RECORD_KINDS.map((k) => `v.unknown_${k} AS v_unknown_${k}`).join(', ')}
        FROM (SELECT *, CASE WHEN j IS NOT NULL THEN ${keyHash} END AS h FROM ${base}) p
        LEFT JOIN ${this.keys.table} v ON v.h = p.h)`
      : base;
    return `SELECT *, CASE
      WHEN pre_problem IS NOT NULL THEN pre_problem
      WHEN j IS NULL THEN 'not valid JSON'
      ${careful ? `WHEN NOT starts_with(raw, '{') AND NOT starts_with(ltrim(raw, E' \\t'), '{') THEN 'not a JSON object'` : ''}
      ${verdicts ? `WHEN v_dup IS NOT NULL THEN 'a member name appears twice: ' || v_dup` : ''}
      ${careful ? `WHEN ${lenientJsonSql('raw')} THEN 'not valid JSON (NaN, Infinity or a trailing comma)'` : ''}
    END AS problem0 FROM ${source}`;
  }

  protected typeChecks(m: MemberColumn): string[] {
    const v = this.fragment(m.member);
    if (v === 'NULL') return [];
    const found = fragmentType(v);
    // null passes every check: a member written null is an absent member (spec section 3).
    const fail = (firstChars: string) =>
      `CASE WHEN NOT contains(${sqlString(firstChars)}, left(${v}, 1)) THEN ${sqlString(`${m.member}: expected ${expectedWords(m)}, found `)} || ${found} END`;
    switch (m.type) {
      case 'number':
        return [fail('-0123456789n'), inexactNumberSql(m.member, `${v}::VARCHAR`)];
      case 'boolean':
        return [fail('tfn')];
      case 'time':
        return [fail('"-0123456789n'), numericTimeString(m, v, true), inexactNumberSql(m.member, `${v}::VARCHAR`)];
      case 'seq': {
        const x = `${v}::VARCHAR`;
        return [
          `CASE WHEN strlen(${x}) >= 16 AND ${exactIntegerTestSql(x, '[1-9][0-9]*')} THEN ${sqlString(`${m.member}: number `)} || ${shownNumberSql(x)} || ' cannot be stored exactly (beyond 2^53)'
            WHEN NOT regexp_full_match(${x}, '0|[1-9][0-9]{0,17}|null') THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || left(${x}, 40) END`,
        ];
      }
      case 'string':
      case 'json':
      case 'any':
        return [];
    }
  }

  protected valueSql(m: MemberColumn): string {
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

  protected textSql(m: MemberColumn): string {
    const v = this.fragment(m.member);
    return v === 'NULL' ? 'NULL' : `json_extract_string(${v}, '$')`;
  }

  protected extraSql(kind: RecordKind): string {
    if (!this.keys.extrasFor.has(kind)) return 'NULL';
    if (this.extraFields) {
      // In the record's own order (its member-name list's), each value as the struct read it.
      const value = `CASE n ${this.extraFields.map((f) => `WHEN ${sqlString(f)} THEN j.${quoteIdent(f)}`).join(' ')} END`;
      return `CASE WHEN len(v_unknown_${kind}) > 0 THEN
    to_json(map_from_entries(list_transform(v_unknown_${kind}, lambda n: {'key': n, 'value': ${value}})))
  END`;
    }
    return `CASE WHEN len(v_unknown_${kind}) > 0 THEN
    to_json(map_from_entries(list_filter(map_entries(json_transform(raw, '"MAP(VARCHAR, JSON)"')), lambda e: list_contains(v_unknown_${kind}, e.key))))
  END`;
  }

  protected dialectSql(): string {
    const d = this.keys.dialect;
    if (d !== undefined) return sqlString(d);
    return `CASE WHEN v_snake AND v_camel THEN 'mixed' WHEN v_snake THEN 'snake_case' ELSE 'camelCase' END`;
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
  const cheap = LENIENT_TOKENS.map((t) => `contains(${raw}, ${sqlString(t)})`).join(' OR ');
  const exact = `'[:,\\[]\\s*-?(NaN|Infinity)|,\\s*[}\\]]'`;
  return `((${cheap}) AND regexp_matches(regexp_replace(${raw}, '"(?:[^"\\\\]|\\\\.)*"', '""', 'g'), ${exact}))`;
}
