/**
 * The evidence package (spec section 7), as this workstation writes it and reads it back:
 *
 *   package.json                      what, who, when, which selection, which sources
 *   records/<stream>.jsonl            the selected records exactly as the source held them
 *   proofs/<stream>.jsonl             per record: seq, hash, checkpoint label, leaf index, tree size, path
 *   checkpoints/<stream>/<label>.json the checkpoints those proofs rest on, with .sig and .tsr
 *   explanations/<ref>.json           the explanation artefacts the packaged decisions name, as the archive held them
 *   manifest/explanations.jsonl       the object-store manifest's entries for those artefacts (spec section 5)
 *   keys/*.pem                        keys the source archives offered (never trusted for being here)
 *   report.pdf, report.html, findings.json, csv/*.csv (+ .csv.json sidecars)
 *   custody.jsonl                     the investigator's hash-chained activity log for the case
 *   SHA256SUMS                        `sha256sum -c` format over every file above
 *   SHA256SUMS.sig                    optional: base64 Ed25519 signature over SHA256SUMS, with the
 *                                     investigator's public key in keys/investigator.pub.pem
 */
export const PACKAGE_FORMAT = 'ai-audit-evidence-package';
/** 1.1 adds the explanation artefacts (explanations/, manifest/explanations.jsonl); 1.0 packages verify as before. */
export const PACKAGE_FORMAT_VERSION = '1.1';

export const PACKAGE_JSON = 'package.json';
export const SUMS_FILE = 'SHA256SUMS';
export const SUMS_SIG_FILE = 'SHA256SUMS.sig';
export const CUSTODY_FILE = 'custody.jsonl';
export const INVESTIGATOR_KEY_FILE = 'keys/investigator.pub.pem';

/** The object-store manifest's entries (the lines as the archive held them) for the packaged explanation artefacts. */
export const EXPLANATION_OBJECTS_FILE = 'manifest/explanations.jsonl';

export const recordsPath = (stream: string): string => `records/${stream}.jsonl`;
export const explanationPath = (ref: string): string => `explanations/${ref}.json`;
export const proofsPath = (stream: string): string => `proofs/${stream}.jsonl`;
export const checkpointPath = (stream: string, label: string): string => `checkpoints/${stream}/${label}.json`;

/** Stream names and checkpoint labels become path segments; anything else is refused, not mangled. */
export const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** One line of proofs/<stream>.jsonl. */
export interface ProofEntry {
  seq: number;
  /** The record's `hash` member: the leaf data d_i (RFC 6962 leaf = SHA-256(0x00 || d_i)). */
  hash: string;
  /** Label of the checkpoint whose merkleRoot the path leads to; null when no checkpoint covers the record. */
  checkpoint: string | null;
  /** seq - checkpoint.firstSeq */
  leafIndex?: number;
  /** checkpoint.count */
  treeSize?: number;
  /** RFC 6962 audit path, bottom-up, lowercase hex. */
  path?: string[];
  /** Line of the record in records/<stream>.jsonl (1-based). */
  line: number;
  /** Where the source held the record. */
  source: { archive: string; file: string; line?: number; row?: number };
  /** Why the record has no proof. */
  unanchored?: string;
}

/** One line of custody.jsonl: an entry of the case's custody log, its details withheld when they name other records. */
export interface CustodyExcerptEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details?: Record<string, unknown>;
  /** Present instead of `details`: why they are not in the package. The entry's hash is then taken as given. */
  detailsWithheld?: string;
  prevHash: string;
  hash: string;
}

export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  formatVersion: typeof PACKAGE_FORMAT_VERSION;
  createdAt: string;
  creator: { investigator: string; tool: { name: string; version: string } };
  case: { name: string; slug: string; createdAt: string; createdBy: string };
  selection:
    { by: 'decisions'; decisionIds: string[]; related: boolean } | { by: 'query'; query: string; related: boolean };
  hashRule: 'jcs-sha256-v1';
  merkleTree: 'RFC 6962 over the 32 raw bytes of each record hash';
  records: Record<string, { kind: string; records: number; anchored: number; file: string; proofs: string }>;
  checkpoints: {
    stream: string;
    label: string;
    file: string;
    signature?: string;
    timestamp?: string;
    firstSeq: number;
    lastSeq: number;
    count: number;
  }[];
  sources: {
    archive: string;
    container: string;
    system?: unknown;
    producer?: unknown;
    exportedAt?: string;
    files: { path: string; sha256: string; size: number; role: string }[];
  }[];
  report: string[];
  /**
   * Explanation artefacts of the packaged decisions. Neither chained nor checkpointed by the format: each
   * is vouched for by the object store's checksums (`objectStore`: its line in manifest/explanations.jsonl)
   * when the archive's manifest listed it, and by SHA256SUMS. Absent in packages written before 1.1.
   */
  explanations?: PackageExplanation[];
  custody: { file: string; entries: number; withheld: number; headHash: string | null };
  signature?: { algorithm: 'ed25519'; file: string; publicKey: string; spkiSha256: string };
  notes: string[];
}

export interface PackageExplanation {
  ref: string;
  file: string;
  sha256: string;
  size: number;
  /** Packaged decisions whose explanationRef names it. */
  decisionIds: string[];
  source: { archive: string; file: string };
  /** Line of its object-store entry in manifest/explanations.jsonl; absent when the archive's manifest did not list it. */
  objectStore?: number;
}

/** Explanation references a packaged decision names (member `explanationRef`, or its snake_case spelling). */
export function explanationRefOfRecord(value: Record<string, unknown>): string | undefined {
  const v = value.explanationRef ?? value.explanation_ref;
  return typeof v === 'string' && v !== '' ? v : undefined;
}
