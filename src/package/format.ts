/**
 * The evidence package (spec section 7), as this workstation writes it and reads it back:
 *
 *   package.json                      what, who, when, which selection, which sources
 *   records/<stream>.jsonl            the selected records exactly as the source held them
 *   proofs/<stream>.jsonl             per record: seq, hash, checkpoint label, leaf index, tree size, path
 *   checkpoints/<stream>/<label>.json the checkpoints those proofs rest on, with .sig and .tsr
 *   keys/*.pem                        keys the source archives offered (never trusted for being here)
 *   report.pdf, report.html, findings.json, csv/*.csv (+ .csv.json sidecars)
 *   custody.jsonl                     the investigator's hash-chained activity log for the case
 *   SHA256SUMS                        `sha256sum -c` format over every file above
 *   SHA256SUMS.sig                    optional: base64 Ed25519 signature over SHA256SUMS, with the
 *                                     investigator's public key in keys/investigator.pub.pem
 */
export const PACKAGE_FORMAT = 'ai-audit-evidence-package';
export const PACKAGE_FORMAT_VERSION = '1.0';

export const PACKAGE_JSON = 'package.json';
export const SUMS_FILE = 'SHA256SUMS';
export const SUMS_SIG_FILE = 'SHA256SUMS.sig';
export const CUSTODY_FILE = 'custody.jsonl';
export const INVESTIGATOR_KEY_FILE = 'keys/investigator.pub.pem';

export const recordsPath = (stream: string): string => `records/${stream}.jsonl`;
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
  custody: { file: string; entries: number; withheld: number; headHash: string | null };
  signature?: { algorithm: 'ed25519'; file: string; publicKey: string; spkiSha256: string };
  notes: string[];
}
