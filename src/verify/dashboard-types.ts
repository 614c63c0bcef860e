/**
 * The verification dashboard's view of a case's saved runs (src/verify/dashboard.ts): plain JSON by
 * construction, shared by the contract (which re-exports them), the report and the renderer (types only).
 */

/** JSON values, as the findings keep expected / actual. */
export type DashboardJson = null | boolean | number | string | DashboardJson[] | { [key: string]: DashboardJson };

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
  /** The genTime its `.tsr` states (whether the token verified is in `status` and `findings`). */
  genTime?: string;
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
  expected?: DashboardJson;
  actual?: DashboardJson;
}
