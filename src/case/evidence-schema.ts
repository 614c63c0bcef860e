/**
 * The tables of evidence.duckdb: one per record kind, a typed column for every spec member of that kind
 * (spec section 3, src/archive/kinds.ts), the chain members, and the record as written. Everything that
 * reads evidence (queries, verification, reports) should take column names from here rather than spell
 * them again.
 *
 * Column names are the snake_case of the member names (decisionId -> decision_id), because unquoted
 * SQL identifiers are case-insensitive. A time member has two columns: `<name>_text`, the value exactly
 * as written (a string, or the number's text for epoch seconds), and `<name>`, the parsed TIMESTAMPTZ.
 */
import { CHAIN_MEMBERS, KIND_MEMBERS, RECORD_KINDS, TIME_MEMBERS, camelToSnake } from '../archive/kinds.ts';
import type { RecordKind } from '../archive/kinds.ts';

/**
 * How a member is typed. `string`, `number`, `boolean`: the JSON type the spec gives it, anything else
 * is a rejected record. `json`: objects / arrays kept as JSON. `any`: a value of any JSON type kept as
 * text (a string as itself, anything else as its JSON), e.g. `prediction` is "approve" or {"label":..}.
 * `time`: an RFC 3339 string or epoch seconds / milliseconds. `seq`: a non-negative integer.
 */
export type MemberType = 'string' | 'number' | 'boolean' | 'json' | 'any' | 'time' | 'seq';

const DECISION_TYPES: Record<string, MemberType> = {
  traceId: 'string',
  decisionId: 'string',
  timestamp: 'time',
  modelId: 'string',
  modelVersion: 'string',
  modelChecksum: 'string',
  riskTier: 'string',
  inputHash: 'string',
  inputFeatures: 'json',
  featureStoreVersion: 'string',
  contextData: 'json',
  prediction: 'any',
  confidence: 'number',
  alternativePredictions: 'json',
  explanationRef: 'string',
  humanReviewRequired: 'boolean',
  humanReviewed: 'boolean',
  humanOverride: 'boolean',
  humanReviewerId: 'string',
  humanDecision: 'any',
  overrideReason: 'string',
  affectedUserId: 'string',
  decisionCategory: 'string',
  consequenceLevel: 'string',
  latencyMs: 'number',
  tokenUsage: 'json',
  environment: 'string',
  taskId: 'string',
  promptVersion: 'string',
};

const LIFECYCLE_TYPES: Record<string, MemberType> = {
  eventId: 'string',
  eventType: 'string',
  modelId: 'string',
  modelVersion: 'string',
  timestamp: 'time',
  actor: 'string',
  details: 'json',
  trainingDataRef: 'string',
  evaluationResults: 'json',
};

const REVIEW_TYPES: Record<string, MemberType> = {
  eventId: 'string',
  taskId: 'string',
  decisionId: 'string',
  eventType: 'string',
  timestamp: 'time',
  reviewerId: 'string',
  action: 'string',
  changes: 'json',
  rationale: 'json',
  durationMs: 'number',
  fromReviewerId: 'string',
  toReviewerId: 'string',
  reason: 'string',
  resolution: 'any',
};

const OUTCOME_TYPES: Record<string, MemberType> = {
  decisionId: 'string',
  observedAt: 'time',
  outcome: 'any',
  source: 'string',
};

const CHAIN_TYPES: Record<(typeof CHAIN_MEMBERS)[number], MemberType> = {
  stream: 'string',
  seq: 'seq',
  prevHash: 'string',
  hash: 'string',
};

export const MEMBER_TYPES: Record<RecordKind, Readonly<Record<string, MemberType>>> = {
  decision: DECISION_TYPES,
  lifecycle: LIFECYCLE_TYPES,
  review: REVIEW_TYPES,
  outcome: OUTCOME_TYPES,
};

/** Table of each kind in evidence.duckdb. */
export const KIND_TABLES: Record<RecordKind, string> = {
  decision: 'decisions',
  lifecycle: 'lifecycle_events',
  review: 'reviews',
  outcome: 'outcomes',
};

export interface MemberColumn {
  /** Spec member name (camelCase). */
  member: string;
  /** The snake_case spelling loggers write, when it differs. */
  snake?: string;
  type: MemberType;
  /** Column holding the value (the parsed TIMESTAMPTZ for `time`). */
  column: string;
  /** For `time` members: the column holding the value as written. */
  textColumn?: string;
}

function sqlTypeOf(type: MemberType): string {
  switch (type) {
    case 'string':
    case 'any':
      return 'VARCHAR';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'json':
      return 'JSON';
    case 'time':
      return 'TIMESTAMPTZ';
    case 'seq':
      return 'BIGINT';
  }
}

/** Spec members of a kind followed by the chain members, each with its column(s). */
export function memberColumns(kind: RecordKind): MemberColumn[] {
  const types = MEMBER_TYPES[kind];
  const out: MemberColumn[] = [];
  for (const member of [...CHAIN_MEMBERS, ...KIND_MEMBERS[kind]]) {
    const type = (CHAIN_TYPES as Record<string, MemberType>)[member] ?? types[member];
    if (!type) throw new Error(`no column type for ${kind}.${member}`);
    const snake = camelToSnake(member);
    const col: MemberColumn = { member, type, column: snake };
    if (snake !== member) col.snake = snake;
    if (type === 'time') col.textColumn = `${snake}_text`;
    out.push(col);
  }
  return out;
}

/** Columns every evidence table has besides the member columns, in table order (after them). */
export const PROVENANCE_COLUMNS = [
  ['extra', 'JSON', 'members the spec does not name, as written (never dropped); NULL when there are none'],
  ['dialect', 'VARCHAR', "member spelling: 'camelCase', 'snake_case' or 'mixed'"],
  ['unverifiable', 'VARCHAR', 'why the hash cannot be re-computed (a Parquet type that cannot reproduce JSON)'],
  ['import_id', 'BIGINT', 'imports.id in case.sqlite'],
  ['source_file_id', 'BIGINT', 'source_files.id in case.sqlite'],
  ['source_file', 'VARCHAR', 'path of the data file inside its archive'],
  ['line', 'BIGINT', '1-based line of a JSONL record (blank lines counted)'],
  ['row', 'BIGINT', '1-based row of a Parquet record'],
  ['raw', 'VARCHAR', "the record as written: the exact JSONL line, or DuckDB's JSON rendering of a Parquet row"],
] as const;

export interface TableColumn {
  name: string;
  sqlType: string;
}

/** Every column of a kind's table, in order. */
export function tableColumns(kind: RecordKind): TableColumn[] {
  const cols: TableColumn[] = [];
  for (const m of memberColumns(kind)) {
    if (m.textColumn) cols.push({ name: m.textColumn, sqlType: 'VARCHAR' });
    cols.push({ name: m.column, sqlType: sqlTypeOf(m.type) });
  }
  for (const [name, sqlType] of PROVENANCE_COLUMNS) cols.push({ name, sqlType });
  return cols;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Text columns whose values are mostly distinct (ids, hashes, free text, JSON): stored with FSST. */
export const FSST_COLUMNS = [
  'trace_id',
  'decision_id',
  'task_id',
  'event_id',
  'hash',
  'prev_hash',
  'input_hash',
  'input_features',
  'context_data',
  'alternative_predictions',
  'token_usage',
  'explanation_ref',
  'affected_user_id',
  'human_reviewer_id',
  'human_decision',
  'override_reason',
  'timestamp_text',
  'observed_at_text',
  'reviewer_id',
  'from_reviewer_id',
  'to_reviewer_id',
  'changes',
  'rationale',
  'reason',
  'resolution',
];

/** Text columns with few distinct values (names, versions, categories): stored as a dictionary. */
export const DICTIONARY_COLUMNS = [
  'stream',
  'model_id',
  'model_version',
  'model_checksum',
  'risk_tier',
  'feature_store_version',
  'decision_category',
  'consequence_level',
  'environment',
  'prompt_version',
  'event_type',
  'action',
  'source',
  'source_file',
  'dialect',
];

/**
 * Storage of a column beyond its type; it changes how DuckDB compresses a column, never what it holds.
 * - `raw` (about as many bytes as the source files) is stored uncompressed: DuckDB's string compression
 *   analysis and FSST cost it more than half of an import's time, for a file about half the size;
 *   nothing filters or groups on `raw`, it is read to re-hash.
 * - Other text columns are given the compression DuckDB picks for them anyway. Left to choose, it tries
 *   every method on every column of each row group: for the 1M demo decisions that analysis was a third
 *   of writing the table (6.2 to 7.5 s of CPU against 4.7 to 4.8 s), for a file of the same size. A column
 *   whose values do not suit the method (all NULL, say) is stored uncompressed, at most a few MB per
 *   million rows more. Columns not named are left to DuckDB.
 */
const COLUMN_STORAGE: Record<string, string> = {
  raw: ' USING COMPRESSION uncompressed',
  ...Object.fromEntries(FSST_COLUMNS.map((c) => [c, ' USING COMPRESSION fsst'])),
  ...Object.fromEntries(DICTIONARY_COLUMNS.map((c) => [c, ' USING COMPRESSION dictionary'])),
};

export function createTableSql(kind: RecordKind): string {
  const cols = tableColumns(kind).map((c) => `  ${quoteIdent(c.name)} ${c.sqlType}${COLUMN_STORAGE[c.name] ?? ''}`);
  return `CREATE TABLE IF NOT EXISTS ${KIND_TABLES[kind]} (\n${cols.join(',\n')}\n)`;
}

/**
 * Explanation artefacts as the archive held them (src/import/explanations.ts): one row per
 * `explanations/<ref>.json` file of an import, its bytes, and the SHA-256 recorded for it in case.sqlite.
 */
export const EXPLANATIONS_TABLE = 'explanations';

/**
 * Versioned DDL of evidence.duckdb, applied in order by the case store; `meta` records the version.
 * Append only: a released step is never edited, a change is a new step.
 */
export const EVIDENCE_MIGRATIONS: readonly { version: number; description: string; sql: string[] }[] = [
  {
    version: 1,
    description: 'one table per record kind',
    sql: RECORD_KINDS.map(createTableSql),
  },
  {
    version: 2,
    description: 'explanation artefacts (explanations/<ref>.json) kept with the evidence',
    sql: [
      `CREATE TABLE IF NOT EXISTS ${EXPLANATIONS_TABLE} (
  import_id BIGINT NOT NULL,
  source_file_id BIGINT NOT NULL,
  path VARCHAR NOT NULL,
  ref VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  size BIGINT NOT NULL,
  content BLOB NOT NULL
)`,
    ],
  },
];

export const EVIDENCE_SCHEMA_VERSION = EVIDENCE_MIGRATIONS[EVIDENCE_MIGRATIONS.length - 1].version;

/** The time member's column of a kind: what timelines sort by. */
export function timeColumn(kind: RecordKind): string {
  return camelToSnake(TIME_MEMBERS[kind]);
}
