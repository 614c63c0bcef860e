import type { ArchiveFile, CheckpointFiles, OpenedArchive } from '../archive/open.ts';
import type { Checkpoint } from '../archive/manifest.ts';
import type { RecordKind } from '../archive/kinds.ts';
import type { Finding, FindingCategory, FindingSink, StreamVerdict } from './findings.ts';

export type RetentionPolicyName = 'eu-ai-act' | 'hipaa' | 'soc2' | 'finserv';

export interface RetentionPolicy {
  name: RetentionPolicyName;
  label: string;
  months: number;
}

export const RETENTION_POLICIES: Record<RetentionPolicyName, RetentionPolicy> = {
  'eu-ai-act': { name: 'eu-ai-act', label: 'EU AI Act Art. 19 / 26(6): at least 6 months', months: 6 },
  hipaa: { name: 'hipaa', label: 'HIPAA: 6 years', months: 72 },
  soc2: { name: 'soc2', label: 'SOC 2: commonly 1 year', months: 12 },
  finserv: { name: 'finserv', label: 'Financial services: 7 years', months: 84 },
};

/** Whether `name` is one of RETENTION_POLICIES (its own names only, not Object.prototype's members such as valueOf). */
export function isRetentionPolicy(name: unknown): name is RetentionPolicyName {
  return typeof name === 'string' && Object.hasOwn(RETENTION_POLICIES, name);
}

export interface VerifyOptions {
  /** PEM files of checkpoint-signing keys the investigator pins. */
  trustKeys?: string[];
  /** SHA-256 fingerprints (hex, colons allowed) of keys the investigator pins. */
  trustFingerprints?: string[];
  /** PEM files of TSA trust anchors. */
  trustTsa?: string[];
  retention?: RetentionPolicyName;
  /** scan worker threads; 0 hashes on the calling thread; default one per core for large inputs */
  workers?: number;
  /** only the record and checkpoint checks (no manifest, signatures, time-stamps): for benchmarks */
  chainOnly?: boolean;
  /** bytes per worker job (tests use small ones to cross many range boundaries) */
  chunkBytes?: number;
  onProgress?: (p: VerifyProgress) => void;
  signal?: AbortSignal;
}

export interface VerifyProgress {
  phase: string;
  recordsDone: number;
  bytesDone: number;
  bytesTotal: number;
}

/** One record as the scan sees it: the claimed chain members and the recomputed hash. */
export interface ScannedRecord {
  stream: string;
  file: string;
  line?: number;
  row?: number;
  seq?: number;
  hash?: string;
  prevHash?: string;
  computed?: string;
  unverifiable?: string;
  hasChain: boolean;
}

export interface LoadedCheckpoint {
  archive: OpenedArchive;
  files: CheckpointFiles;
  bytes: Buffer;
  value: Checkpoint;
}

export interface StreamInput {
  name: string;
  kind?: RecordKind;
  files: { archive: OpenedArchive; file: ArchiveFile }[];
  checkpoints: LoadedCheckpoint[];
}

export interface StreamResult {
  name: string;
  kind?: RecordKind;
  verdict: StreamVerdict;
  reason: string;
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  checkpoints: number;
  anchoredRecords: number;
}

/** A check that looks at whole archives (manifest, signatures, time-stamps). */
export interface ArchiveCheck {
  id: string;
  title: string;
  category: FindingCategory;
  run(ctx: VerifyContext, sink: FindingSink): Promise<void>;
}

export interface VerifyContext {
  archives: OpenedArchive[];
  streams: StreamInput[];
  options: VerifyOptions;
  retention: RetentionPolicy;
  now: Date;
}

export type { Finding };
