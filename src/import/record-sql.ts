/**
 * The SQL that turns raw records into evidence rows, run by DuckDB over a whole file at once. Input is a
 * relation `(fidx, line, row, raw, pre_problem, unverifiable)` (source-sql.ts): one row per line (JSONL) or
 * per Parquet row of a batch of files, `fidx` the 0-based index of the row's file in the batch, `raw` the text of the record, `pre_problem` a reason found before SQL (e.g. a line that is
 * not UTF-8) or NULL, `unverifiable` why a Parquet row's hash cannot be re-computed or NULL.
 *
 * Each record is parsed once into a struct of JSON fragments (one field per member spelling, camelCase
 * and snake_case), and its member names once more (for duplicates, unknown members and the dialect).
 * Types are judged from the first character of each fragment (DuckDB writes fragments minified), which
 * is far cheaper than asking json_type() per member; a mismatch makes the record a reject naming the
 * member. The kind and stream of a record follow the reader's rule (src/archive/open.ts assignRecord):
 * the record's `stream` member, else the file's stream; the kind the descriptor declares for that
 * stream, else the kind its content shows, else the file's kind.
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
  if (values.every((v) => v === values[0])) return values.length === 0 ? 'NULL' : literal(values[0]);
  return `[${values.map(literal).join(', ')}][fidx + 1]`;
}

/** Members used to tell kinds apart by content (kinds.ts detectKind). */
const DETECT_MEMBERS = ['eventType', 'observedAt', 'outcome', 'decisionId', 'modelId', 'reviewerId', 'taskId', 'eventId', 'prediction'];

function spellings(member: string): string[] {
  const snake = camelToSnake(member);
  return snake === member ? [member] : [member, snake];
}

/** Every member spelling a set of kinds can hold, for the parse struct and the known-member list. */
function knownNames(kinds: readonly RecordKind[]): string[] {
  const names = new Set<string>();
  for (const kind of kinds) for (const m of memberColumns(kind)) for (const s of spellings(m.member)) names.add(s);
  return [...names];
}

/** `j.m` for the first spelling present (camelCase wins over snake_case when a record has both). */
function fragment(member: string): string {
  const s = spellings(member).map((n) => `j.${quoteIdent(n)}`);
  return s.length === 1 ? s[0] : `coalesce(${s.join(', ')})`;
}

/**
 * JSON type of a minified fragment from its first character. (No `IN (...)` lists anywhere here: DuckDB
 * plans long ones as joins.)
 */
function fragmentType(v: string): string {
  return `CASE left(${v}, 1) WHEN '"' THEN 'a string' WHEN '{' THEN 'an object' WHEN '[' THEN 'an array' WHEN 't' THEN 'a boolean' WHEN 'f' THEN 'a boolean' WHEN 'n' THEN 'null' ELSE 'a number' END`;
}

function typeCheck(m: MemberColumn): string | undefined {
  const v = fragment(m.member);
  const found = fragmentType(v);
  const fail = (expected: string, ok: string) =>
    `CASE WHEN NOT (${ok}) THEN ${sqlString(`${m.member}: expected ${expected}, found `)} || ${found} END`;
  switch (m.type) {
    case 'string':
      return fail('a string', `left(${v}, 1) = '"'`);
    case 'number':
      return fail('a number', `NOT contains('"{[tfn', left(${v}, 1))`);
    case 'boolean':
      return fail('true or false', `contains('tf', left(${v}, 1))`);
    case 'time':
      return fail('an RFC 3339 string or epoch seconds', `NOT contains('{[tfn', left(${v}, 1))`);
    case 'seq':
      return `CASE WHEN NOT regexp_full_match(${v}::VARCHAR, '(0|[1-9][0-9]{0,17})') THEN ${sqlString(`${m.member}: expected a non-negative integer, found `)} || ${v}::VARCHAR END`;
    case 'json':
    case 'any':
      return undefined;
  }
}

/** The value of a member converted to its column's type; assumes the record passed the type checks. */
function valueExpr(m: MemberColumn): string {
  const v = fragment(m.member);
  switch (m.type) {
    case 'string':
    case 'any':
      return `json_extract_string(${v}, '$')`;
    case 'number':
      return `TRY_CAST(${v} AS DOUBLE)`;
    case 'boolean':
      return `TRY_CAST(${v} AS BOOLEAN)`;
    case 'json':
      return v;
    case 'seq':
      return `TRY_CAST(${v} AS BIGINT)`;
    case 'time':
      // Epoch values of 1e11 and more are milliseconds (kinds.ts epochToIso); strings are parsed, NULL if they do not parse.
      // TRY_CAST everywhere: DuckDB may hoist a shared sub-expression out of the CASE and evaluate it for every row.
      return `CASE WHEN left(${v}, 1) = '"' THEN TRY_CAST(json_extract_string(${v}, '$') AS TIMESTAMPTZ)
        ELSE TRY(to_timestamp(CASE WHEN abs(TRY_CAST(${v} AS DOUBLE)) >= 1e11 THEN TRY_CAST(${v} AS DOUBLE) / 1000 ELSE TRY_CAST(${v} AS DOUBLE) END)) END`;
  }
}

function textExpr(m: MemberColumn): string {
  return `json_extract_string(${fragment(m.member)}, '$')`;
}

function has(member: string): string {
  return `list_has_any(k, ${sqlList(spellings(member))})`;
}

/** kinds.ts detectKind, over the member names `k` and the parsed fragments `j`. */
function detectKindSql(): string {
  const et = `json_extract_string(${fragment('eventType')}, '$')`;
  return `CASE
    WHEN list_contains(${sqlList(LIFECYCLE_EVENT_TYPES)}, ${et}) THEN 'lifecycle'
    WHEN list_contains(${sqlList(REVIEW_EVENT_TYPES)}, ${et}) THEN 'review'
    WHEN ${has('observedAt')} OR (${has('outcome')} AND ${has('decisionId')} AND NOT ${has('modelId')}) THEN 'outcome'
    WHEN ${has('reviewerId')} OR (${has('taskId')} AND ${has('eventId')}) THEN 'review'
    WHEN ${has('decisionId')} AND (${has('modelId')} OR ${has('prediction')}) THEN 'decision'
    WHEN ${has('eventId')} AND ${has('modelId')} THEN 'lifecycle'
  END`;
}

function caseMap(expr: string, pairs: [string, string][], otherwise = 'NULL'): string {
  if (pairs.length === 0) return otherwise;
  return `CASE ${expr} ${pairs.map(([a, b]) => `WHEN ${sqlString(a)} THEN ${sqlString(b)}`).join(' ')} ELSE ${otherwise} END`;
}

/**
 * The `parsed` relation: every non-blank input row with its kind, stream and problem (NULL when the
 * record is good). `kinds` are the kinds whose members the struct must carry.
 */
export function parsedSql(inputSql: string, ctx: RecordContext, kinds: readonly RecordKind[]): string {
  const structNames = new Set(knownNames(kinds));
  for (const m of DETECT_MEMBERS) for (const s of spellings(m)) structNames.add(s);
  for (const s of spellings('stream')) structNames.add(s);
  const struct = JSON.stringify(Object.fromEntries([...structNames].map((n) => [n, 'JSON'])));

  const recordStream = `CASE WHEN left(j.stream, 1) = '"' AND j.stream <> '""' THEN json_extract_string(j.stream, '$') END`;
  const stream0 = `coalesce(${recordStream}, ${perFile(ctx.files.map((f) => f.fileStream))})`;
  const declared = caseMap('stream0', [...ctx.declaredStreams.entries()]);
  const fileKind = ctx.fileKind ? sqlString(ctx.fileKind) : 'NULL';
  const defaultStream = caseMap('kind', RECORD_KINDS.map((k) => [k, DEFAULT_STREAM[k]]));

  return `parsed AS (
  SELECT *, coalesce(stream0, ${defaultStream}) AS stream_name,
    CASE
      WHEN pre_problem IS NOT NULL THEN pre_problem
      WHEN j IS NULL OR k IS NULL THEN 'not valid JSON'
      WHEN left(ltrim(raw, E' \\t'), 1) <> '{' THEN 'not a JSON object'
      WHEN len(k) <> len(list_distinct(k)) THEN 'member name appears twice: ' || list_filter(list_distinct(k), lambda n: len(list_filter(k, lambda x: x = n)) > 1)[1]
      WHEN ${lenientJsonSql('raw')} THEN 'not valid JSON (NaN, Infinity or a trailing comma)'
      WHEN kind IS NULL THEN 'unknown kind: no member identifies a decision, lifecycle event, review or outcome'
    END AS problem
  FROM (
    SELECT *, coalesce(${declared}, detected, ${fileKind}) AS kind
    FROM (
      SELECT *, ${stream0} AS stream0, ${detectKindSql()} AS detected
      FROM (
        SELECT fidx, line, row, raw, pre_problem, unverifiable,
          CASE WHEN pre_problem IS NULL THEN try(json_transform(raw, ${sqlString(struct)})) END AS j,
          CASE WHEN pre_problem IS NULL THEN try(json_keys(raw)) END AS k
        FROM (${inputSql})
        WHERE pre_problem IS NOT NULL OR (raw IS NOT NULL AND trim(raw, E' \\t') <> '')
      )
    )
  )
)`;
}

/**
 * True when a text DuckDB parsed holds what JSON forbids but DuckDB's parser (yyjson, lenient) accepts:
 * NaN / Infinity (any case) or a trailing comma. Python's json.dumps writes NaN, so this happens. The
 * cheap first test almost never matches; when it does, string literals are removed and the test is
 * repeated, so "financial" or "info" inside a string does not count.
 */
function lenientJsonSql(raw: string): string {
  const suspicious = `'(?i)nan|inf|,\\s*[}\\]]'`;
  return `(regexp_matches(${raw}, ${suspicious}) AND regexp_matches(regexp_replace(${raw}, '"(?:[^"\\\\]|\\\\.)*"', '""', 'g'), ${suspicious}))`;
}

/** Type problems of a record of `kind` ('; '-joined), NULL when there are none. */
function typeProblemsSql(kind: RecordKind): string {
  const checks = memberColumns(kind)
    .map(typeCheck)
    .filter((c): c is string => c !== undefined);
  return `nullif(concat_ws('; ', ${checks.join(',\n    ')}), '')`;
}

/** `extra`: the members a kind does not name, as one JSON object, NULL when there are none. */
function extraSql(kind: RecordKind): string {
  const known = sqlList(knownNames([kind]));
  return `CASE WHEN len(list_filter(k, lambda n: NOT list_contains(${known}, n))) > 0 THEN
    to_json(map_from_entries(list_filter(map_entries(json_transform(raw, '"MAP(VARCHAR, JSON)"')), lambda e: NOT list_contains(${known}, e.key))))
  END`;
}

function dialectSql(kind: RecordKind): string {
  const snakes = memberColumns(kind)
    .map((m) => m.snake)
    .filter((s): s is string => s !== undefined);
  const camels = memberColumns(kind)
    .filter((m) => m.snake !== undefined)
    .map((m) => m.member);
  const snake = `list_has_any(k, ${sqlList(snakes)})`;
  const camel = `list_has_any(k, ${sqlList(camels)})`;
  return `CASE WHEN ${snake} AND ${camel} THEN 'mixed' WHEN ${snake} THEN 'snake_case' ELSE 'camelCase' END`;
}

/** The rows of `kind` that pass every check, as the kind table's columns in order. */
export function selectRecordsSql(kind: RecordKind, ctx: RecordContext): string {
  const values = new Map<string, string>();
  for (const m of memberColumns(kind)) {
    if (m.textColumn) values.set(m.textColumn, textExpr(m));
    values.set(m.column, valueExpr(m));
  }
  values.set('stream', 'stream_name');
  values.set('extra', extraSql(kind));
  values.set('dialect', dialectSql(kind));
  values.set('unverifiable', 'unverifiable');
  values.set('import_id', String(ctx.importId));
  values.set('source_file_id', perFile(ctx.files.map((f) => f.sourceFileId)));
  values.set('source_file', perFile(ctx.files.map((f) => f.sourceFile)));
  values.set('line', 'line');
  values.set('row', 'row');
  values.set('raw', 'raw');
  const select = tableColumns(kind).map((c) => {
    const v = values.get(c.name);
    if (v === undefined) throw new Error(`no value for column ${c.name}`);
    return `${v} AS ${quoteIdent(c.name)}`;
  });
  return `SELECT ${select.join(',\n  ')}
FROM (SELECT *, ${typeProblemsSql(kind)} AS type_problem FROM parsed WHERE problem IS NULL AND kind = ${sqlString(kind)})
WHERE type_problem IS NULL`;
}

/** Every record that is not imported: file, line / row, reason, and the start of its text. */
export function selectProblemsSql(kinds: readonly RecordKind[], ctx: RecordContext): string {
  const typeProblem = `CASE kind ${kinds.map((k) => `WHEN ${sqlString(k)} THEN ${typeProblemsSql(k)}`).join(' ')} END`;
  return `SELECT ${perFile(ctx.files.map((f) => f.sourceFile))} AS file, line, row, reason, left(raw, 200) AS excerpt FROM (
  SELECT fidx, line, row, raw, coalesce(problem, ${typeProblem}) AS reason FROM parsed
) WHERE reason IS NOT NULL`;
}

/** Records per kind (good or not), to learn which kinds a file holds beyond the expected one. */
export function kindCensusSql(): string {
  return `SELECT kind, count(*) AS records FROM parsed WHERE problem IS NULL GROUP BY kind`;
}
