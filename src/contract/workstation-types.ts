// Result shapes of the investigator's requests (cases, import, verification, records, annotations, views).
// They are plain JSON by construction; types.ts maps each `domain.verb` to them.
import type { ErrorPayload } from '../errors.ts';
import type { JobSnapshot } from './jobs.ts';
import type { JsonValue } from './plain-json.ts';
import type { Annotation } from '../case/annotations.ts';
import type { CaseOrigin } from '../case/store.ts';
import type { FindingRow, VerificationRunSummary } from '../verify/dashboard-types.ts';

export type { JobKind, JobProgress, JobSnapshot, JobState } from './jobs.ts';

export type RecordKindName = 'decision' | 'lifecycle' | 'review' | 'outcome';

export interface CaseListItem {
  slug: string;
  name: string;
  description?: string;
  createdAt: string;
  createdBy: string;
  dir: string;
  totals: { imports: number; records: number; rejected: number; lastImportAt?: string };
  /** Another process (the CLI, another window) holds the case for writing. */
  inUseBy?: string;
  interruptedImports: number;
  /** This host has it open. */
  open: boolean;
  /** A task of this host has the case to itself (an import), in words. */
  busy?: string;
  /** Set for a read-only case (one opened from an evidence package): why it refuses imports and re-verification. */
  readOnly?: string;
  /** The evidence package a read-only case was opened from. */
  origin?: CaseOrigin;
}

export interface CaseList {
  workspace: string;
  cases: CaseListItem[];
}

export interface ImportRow {
  id: number;
  startedAt: string;
  finishedAt?: string;
  status: string;
  actor: string;
  inputs: string[];
  records: number;
  rejected: number;
  noted: number;
  error?: string;
}

export interface CaseOverview {
  case: CaseListItem;
  imports: ImportRow[];
  kinds: { kind: RecordKindName; records: number }[];
  streams: { stream: string; kind: RecordKindName; records: number; firstSeq?: number; lastSeq?: number }[];
  /** Earliest and latest decision timestamp. */
  period?: { from: string; to: string };
  lastVerification?: VerificationRunSummary;
  annotations: number;
  savedViews: number;
  jobs: JobSnapshot[];
  notices: string[];
}

export interface PreviewItem {
  path: string;
  /** archive.inspect's report: kinds, streams, counts, checkpoints, manifest. */
  report?: JsonValue;
  error?: Omit<ErrorPayload, 'ok'>;
}

export interface RejectRow {
  id: number;
  importId: number;
  file: string;
  line?: number;
  row?: number;
  reason: string;
  excerpt?: string;
  disposition: 'rejected' | 'noted';
}

export interface Page<T> {
  total: number;
  offset: number;
  rows: T[];
}

export type {
  CheckCount,
  CheckpointPoint,
  FindingRow,
  OfferedKey,
  RetentionChoice,
  StreamStatus,
  Verdict,
  VerificationRunSummary,
  VerificationView,
  VerifyOptionsView,
  VerifyRequestOptions,
} from '../verify/dashboard-types.ts';
export type { Annotation } from '../case/annotations.ts';
export type { CaseOrigin } from '../case/store.ts';

/** One imported record, as stored, with where it came from and what the investigator said about it. */
export interface RecordView {
  kind: RecordKindName;
  /** Annotation target of the record (e.g. "decision:d-00000042"). */
  target: string;
  stream?: string;
  seq?: number;
  file: string;
  line?: number;
  row?: number;
  archive?: string;
  fields: Record<string, JsonValue>;
  /** Members the spec does not name, as written. */
  extra?: JsonValue;
  raw: string;
  annotations: Annotation[];
  /** Findings of the latest verification run that point at this record. */
  findings: FindingRow[];
}

export interface SavedView {
  id: number;
  name: string;
  createdAt: string;
  actor: string;
  definition: JsonValue;
}

export interface DemoCaseState {
  /** Slug of the demo case, once it exists. */
  case?: string;
  created: boolean;
  /** The import that fills it on first run. */
  job?: JobSnapshot;
  /** Why there is no demo case (e.g. the demo archive was never generated). */
  reason?: string;
}
