// Result shapes of the investigator's requests (cases, import, verification, records, annotations, views).
// They are plain JSON by construction; types.ts maps each `domain.verb` to them.
import type { ErrorPayload } from '../errors.ts';
import type { JobSnapshot } from './jobs.ts';
import type { JsonValue } from './plain-json.ts';

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

export interface RetentionChoice {
  name: string;
  label: string;
  months: number;
}

/** A key or certificate an archive offers in keys/: a candidate the investigator may pin, never trusted by being there. */
export interface OfferedKey {
  sourceFileId: number;
  archive: string;
  path: string;
  kind: 'public-key' | 'certificate' | 'unreadable';
  algorithm?: string;
  subject?: string;
  /** SPKI SHA-256, colon form: compare it with one obtained out of band before pinning. */
  fingerprint?: string;
  spkiSha256?: string;
  /** SHA-256 of the DER certificate, for certificates. */
  certificateSha256?: string;
  /** Looks like a TSA root / CA certificate rather than a checkpoint-signing key. */
  looksLikeTsa: boolean;
  problem?: string;
}

export interface VerifyOptionsView {
  retentionPolicies: RetentionChoice[];
  offeredKeys: OfferedKey[];
  archives: { path: string; exists: boolean }[];
  /** What the last run used, to start from. */
  last?: VerifyRequestOptions;
}

export interface VerifyRequestOptions {
  retention: string;
  /** source_files ids of offered keys pinned as checkpoint signers. */
  trustKeys: number[];
  /** source_files ids of offered certificates used as TSA trust anchors. */
  trustTsa: number[];
  /** Key fingerprints typed in (SPKI or certificate SHA-256). */
  trustFingerprints: string[];
  /** Absolute paths of key / certificate files outside the archives. */
  trustKeyFiles: string[];
  trustTsaFiles: string[];
}

export type Verdict = 'intact' | 'tampered' | 'incomplete' | 'unanchored' | 'unverifiable';

export interface VerificationRunSummary {
  id: number;
  startedAt: string;
  finishedAt?: string;
  actor: string;
  verdict: Verdict;
  reason: string;
  findings: number;
  fails: number;
  warns: number;
}

export interface StreamStatus {
  name: string;
  kind?: string;
  verdict: Verdict;
  reason: string;
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  checkpoints: number;
  anchoredRecords: number;
  findings: number;
}

export interface CheckpointPoint {
  stream: string;
  label: string;
  path: string;
  firstSeq?: number;
  lastSeq?: number;
  count?: number;
  createdAt?: string;
  signed: boolean;
  timestamped: boolean;
  /** Worst finding status on the checkpoint or its .sig/.tsr in the run: pass when none. */
  status: 'pass' | 'fail' | 'warn' | 'unverifiable';
  findings: string[];
}

export interface CheckCount {
  id: string;
  title: string;
  pass: number;
  fail: number;
  warn: number;
  unverifiable: number;
}

export interface VerificationView {
  run: VerificationRunSummary & { options: VerifyRequestOptions; toolVersion: string; findingsDropped: number };
  streams: StreamStatus[];
  checks: CheckCount[];
  checkpoints: CheckpointPoint[];
  /** Findings of the object manifest, object lock and retention checks (all of them, not paged). */
  manifest: FindingRow[];
  byStatus: Record<string, number>;
  /** The run before this one, for comparison. */
  previous?: VerificationRunSummary;
  /** Findings new, resolved and unchanged since the previous run (as the verification service counted them). */
  comparison?: {
    previousRunId?: number;
    previousVerdict?: string;
    newFindings: number;
    resolvedFindings: number;
    unchangedFindings: number;
  };
}

export interface FindingRow {
  id: number;
  check: string;
  status: 'pass' | 'fail' | 'warn' | 'unverifiable';
  category?: string;
  stream?: string;
  seq?: number;
  seqEnd?: number;
  file?: string;
  line?: number;
  row?: number;
  message: string;
  expected?: JsonValue;
  actual?: JsonValue;
}

export interface Annotation {
  id: number;
  createdAt: string;
  actor: string;
  target: string;
  text: string;
  tags: string[];
  starred: boolean;
}

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
