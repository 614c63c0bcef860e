/**
 * Record kinds of audit archive v1 (spec section 3), their members, and the normalisation of the
 * snake_case / epoch-seconds dialect that common Python audit loggers write. Normalisation builds a
 * new object for analysis; the raw record is never modified because its hash covers it as written.
 */
export type RecordKind = 'decision' | 'lifecycle' | 'review' | 'outcome';
export const RECORD_KINDS: readonly RecordKind[] = ['decision', 'lifecycle', 'review', 'outcome'];

/** Members that make a record part of a hash chain (all kinds). */
export const CHAIN_MEMBERS = ['stream', 'seq', 'prevHash', 'hash'] as const;

export const KIND_MEMBERS: Record<RecordKind, readonly string[]> = {
  decision: [
    'traceId',
    'decisionId',
    'timestamp',
    'modelId',
    'modelVersion',
    'modelChecksum',
    'riskTier',
    'inputHash',
    'inputFeatures',
    'featureStoreVersion',
    'contextData',
    'prediction',
    'confidence',
    'alternativePredictions',
    'explanationRef',
    'humanReviewRequired',
    'humanReviewed',
    'humanOverride',
    'humanReviewerId',
    'humanDecision',
    'overrideReason',
    'affectedUserId',
    'decisionCategory',
    'consequenceLevel',
    'latencyMs',
    'tokenUsage',
    'environment',
    'taskId',
    'promptVersion',
  ],
  lifecycle: [
    'eventId',
    'eventType',
    'modelId',
    'modelVersion',
    'timestamp',
    'actor',
    'details',
    'trainingDataRef',
    'evaluationResults',
  ],
  review: [
    'eventId',
    'taskId',
    'decisionId',
    'eventType',
    'timestamp',
    'reviewerId',
    'action',
    'changes',
    'rationale',
    'durationMs',
    'fromReviewerId',
    'toReviewerId',
    'reason',
    'resolution',
  ],
  outcome: ['decisionId', 'observedAt', 'outcome', 'source'],
};

export const LIFECYCLE_EVENT_TYPES = [
  'training_started',
  'training_completed',
  'evaluation_completed',
  'deployment_approved',
  'deployed',
  'rollback',
  'deprecated',
  'retired',
] as const;
export const REVIEW_EVENT_TYPES = ['created', 'assigned', 'reviewed', 'escalated', 'resolved'] as const;

/** Default stream name for a kind when neither the record nor the descriptor names one. */
export const DEFAULT_STREAM: Record<RecordKind, string> = {
  decision: 'decisions',
  lifecycle: 'lifecycle',
  review: 'reviews',
  outcome: 'outcomes',
};

/** Members that hold a point in time, per kind. */
export const TIME_MEMBERS: Record<RecordKind, string> = {
  decision: 'timestamp',
  lifecycle: 'timestamp',
  review: 'timestamp',
  outcome: 'observedAt',
};

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const KNOWN_BY_KIND: Record<RecordKind, Set<string>> = Object.fromEntries(
  RECORD_KINDS.map((k) => [k, new Set<string>([...KIND_MEMBERS[k], ...CHAIN_MEMBERS])]),
) as Record<RecordKind, Set<string>>;

/**
 * Whether a record holds a member (either spelling) for telling kinds apart. A member written null is
 * absent: the hash rule drops it (spec section 3) and a null Parquet value is an absent member (section
 * 6), so `{"decisionId":"d","modelId":null,"outcome":"x"}` is the same record as one without modelId,
 * and its JSONL and Parquet forms must get the same kind. (The importer's SQL reads members the same way.)
 */
function has(obj: Record<string, unknown>, camel: string): boolean {
  return get(obj, camel) !== undefined;
}

/** A member's value, camelCase spelling first; null reads as absent (undefined). */
function get(obj: Record<string, unknown>, camel: string): unknown {
  const v = obj[camel];
  if (v !== undefined && v !== null) return v;
  const s = obj[camelToSnake(camel)];
  return s === null ? undefined : s;
}

export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Tells record kinds apart by content when no descriptor says which stream a file holds (members
 * written null count as absent, see `has`). Returns undefined when the object matches no kind (the
 * caller reports it with file and line).
 */
export function detectKind(obj: Record<string, unknown>): RecordKind | undefined {
  const eventType = get(obj, 'eventType');
  if (typeof eventType === 'string') {
    if ((LIFECYCLE_EVENT_TYPES as readonly string[]).includes(eventType)) return 'lifecycle';
    if ((REVIEW_EVENT_TYPES as readonly string[]).includes(eventType)) return 'review';
  }
  if (has(obj, 'observedAt') || (has(obj, 'outcome') && has(obj, 'decisionId') && !has(obj, 'modelId')))
    return 'outcome';
  if (has(obj, 'reviewerId') || (has(obj, 'taskId') && has(obj, 'eventId'))) return 'review';
  if (has(obj, 'decisionId') && (has(obj, 'modelId') || has(obj, 'prediction'))) return 'decision';
  if (has(obj, 'eventId') && has(obj, 'modelId')) return 'lifecycle';
  return undefined;
}

/** Epoch seconds (float, as Python's time.time()) or milliseconds to RFC 3339 UTC with milliseconds. */
export function epochToIso(value: number): string {
  // Values above 1e11 cannot be seconds in any plausible range (year 5138), so they are milliseconds.
  const ms = Math.abs(value) >= 1e11 ? value : value * 1000;
  return new Date(Math.round(ms)).toISOString();
}

export type Dialect = 'camelCase' | 'snake_case' | 'mixed';

export interface NormalizedRecord {
  kind: RecordKind;
  /** Spec members under their camelCase names; epoch timestamps turned into RFC 3339 strings. */
  fields: Record<string, unknown>;
  /** Members the spec does not name, kept as written so they can be shown, never dropped. */
  extra: Record<string, unknown>;
  dialect: Dialect;
  stream?: string;
  seq?: number;
  prevHash?: string;
  hash?: string;
}

/** Builds the analysis view of one raw record; the raw object is left untouched. */
export function normalizeRecord(raw: Record<string, unknown>, kind: RecordKind): NormalizedRecord {
  const known = KNOWN_BY_KIND[kind];
  const fields: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  let sawSnake = false;
  let sawCamel = false;
  for (const [key, value] of Object.entries(raw)) {
    const camel = key.includes('_') ? snakeToCamel(key) : key;
    if (known.has(camel)) {
      if (camel !== key) sawSnake = true;
      else if (/[A-Z]/.test(key)) sawCamel = true;
      if (fields[camel] === undefined) fields[camel] = value;
    } else {
      extra[key] = value;
    }
  }
  const timeMember = TIME_MEMBERS[kind];
  if (typeof fields[timeMember] === 'number' && Number.isFinite(fields[timeMember])) {
    fields[timeMember] = epochToIso(fields[timeMember] as number);
  }
  const out: NormalizedRecord = {
    kind,
    fields,
    extra,
    dialect: sawSnake && sawCamel ? 'mixed' : sawSnake ? 'snake_case' : 'camelCase',
  };
  if (typeof fields.stream === 'string') out.stream = fields.stream;
  if (typeof fields.seq === 'number') out.seq = fields.seq;
  if (typeof fields.prevHash === 'string') out.prevHash = fields.prevHash;
  if (typeof fields.hash === 'string') out.hash = fields.hash;
  delete fields.stream;
  delete fields.seq;
  delete fields.prevHash;
  delete fields.hash;
  return out;
}
