/**
 * Assembles the files of an evidence package from what a source (a case, see from-case.ts) gathered,
 * and writes them as a zip. Before anything is written the package is checked the way the regulator
 * will check it: every record re-hashed, every checkpoint's merkleRoot recomputed from the leaves, so
 * a package that would fail verification is refused here, with the reason, instead of being handed over.
 */
import { createHash, createPublicKey, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import { recordHash, sha256Hex } from '../archive/canonical.ts';
import type { RecordKind } from '../archive/kinds.ts';
import type { Checkpoint } from '../archive/manifest.ts';
import { partFileOf, removeStalePartFiles } from '../case/part-files.ts';
import { AuditWsError } from '../errors.ts';
import { spkiFingerprint } from '../verify/crypto/keys.ts';
import {
  CUSTODY_FILE,
  EXPLANATION_OBJECTS_FILE,
  INVESTIGATOR_KEY_FILE,
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_VERSION,
  PACKAGE_JSON,
  SAFE_SEGMENT,
  SUMS_FILE,
  SUMS_SIG_FILE,
  checkpointPath,
  explanationPath,
  proofsPath,
  recordsPath,
} from './format.ts';
import type { CustodyExcerptEntry, PackageExplanation, PackageManifest, ProofEntry } from './format.ts';
import { proveLeaves } from './proofs.ts';

export interface PackagedRecord {
  stream: string;
  kind: RecordKind;
  seq?: number;
  hash?: string;
  /** The record's text: the exact JSONL line, or the canonical form of a Parquet row. */
  text: string;
  source: { archive: string; file: string; line?: number; row?: number };
}

export interface PackagedCheckpoint {
  stream: string;
  label: string;
  bytes: Buffer;
  value: Checkpoint;
  sig?: Buffer;
  tsr?: Buffer;
}

export interface PackageFile {
  path: string;
  bytes: Buffer;
}

/** An explanation artefact of packaged decisions, as the archive held it. */
export interface PackagedExplanation {
  ref: string;
  bytes: Buffer;
  decisionIds: string[];
  source: { archive: string; file: string };
  /** Its entry in the archive's object-store manifest: the line exactly as written. */
  objectStoreLine?: string;
}

export interface PackageInput {
  createdAt: Date;
  creator: PackageManifest['creator'];
  case: PackageManifest['case'];
  selection: PackageManifest['selection'];
  sources: PackageManifest['sources'];
  records: PackagedRecord[];
  /** Checkpoints of the streams the records belong to (the ones not needed are left out). */
  checkpoints: PackagedCheckpoint[];
  /** The leaf data (record hashes, 32 raw bytes each) of a checkpoint, firstSeq..lastSeq in order. */
  leavesOf(cp: PackagedCheckpoint): Promise<Buffer[]>;
  keys: { name: string; bytes: Buffer }[];
  /** Explanation artefacts the selected decisions name. */
  explanations?: PackagedExplanation[];
  report: PackageFile[];
  custody: CustodyExcerptEntry[];
  notes?: string[];
  /** The investigator's Ed25519 private key: signs SHA256SUMS. */
  signingKey?: KeyObject;
}

export interface BuiltPackage {
  files: PackageFile[];
  manifest: PackageManifest;
  sums: string;
}

function jsonl(values: readonly unknown[]): Buffer {
  return Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(''), 'utf8');
}

function checkSegment(what: string, value: string): void {
  if (!SAFE_SEGMENT.test(value)) {
    throw new AuditWsError(
      'UNSUPPORTED',
      `${what} "${value}" cannot be a file name in a package (letters, digits, ".", "_" and "-" only)`,
    );
  }
}

/** The recomputed hash of a packaged record's text, or why it cannot be recomputed. */
function rehash(r: PackagedRecord): { hash?: string; error?: string } {
  try {
    const value = JSON.parse(r.text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'is not a JSON object' };
    return { hash: recordHash(value as Record<string, unknown>) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function where(r: PackagedRecord): string {
  const s = r.source;
  return `${s.file}${s.line !== undefined ? `:${s.line}` : s.row !== undefined ? ` row ${s.row}` : ''}`;
}

export async function buildPackage(input: PackageInput): Promise<BuiltPackage> {
  if (input.records.length === 0)
    throw new AuditWsError('BAD_USAGE', 'the selection holds no records: there is nothing to package');

  const byStream = new Map<string, PackagedRecord[]>();
  for (const r of input.records) {
    checkSegment('stream', r.stream);
    const list = byStream.get(r.stream) ?? [];
    list.push(r);
    byStream.set(r.stream, list);
  }
  const problems: string[] = [];
  for (const r of input.records) {
    const { hash, error } = rehash(r);
    if (error) problems.push(`${where(r)}: the record cannot be re-hashed (${error})`);
    else if (r.hash !== undefined && hash !== r.hash)
      problems.push(`${where(r)}: the record does not match its hash (stream ${r.stream}, seq ${r.seq})`);
  }

  const files: PackageFile[] = [];
  const usedCheckpoints = new Set<PackagedCheckpoint>();
  const streamsInfo: PackageManifest['records'] = {};
  for (const [stream, recs] of [...byStream.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    recs.sort(
      (a, b) =>
        (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER) || where(a).localeCompare(where(b)),
    );
    const cps = input.checkpoints.filter((c) => c.stream === stream);
    const proofs: ProofEntry[] = recs.map((r, i) => ({
      seq: r.seq ?? -1,
      hash: r.hash ?? '',
      checkpoint: null,
      line: i + 1,
      source: r.source,
    }));
    // Group the records by the checkpoint that covers them, then prove each group in one pass.
    const groups = new Map<PackagedCheckpoint, number[]>();
    recs.forEach((r, i) => {
      if (r.seq === undefined || r.hash === undefined) {
        proofs[i].unanchored = 'the record carries no chain members (seq, hash)';
        return;
      }
      const cp = cps.find((c) => c.value.firstSeq <= r.seq! && r.seq! <= c.value.lastSeq);
      if (!cp) {
        proofs[i].unanchored = `no checkpoint of stream ${stream} covers seq ${r.seq}`;
        return;
      }
      groups.set(cp, [...(groups.get(cp) ?? []), i]);
    });
    for (const [cp, members] of groups) {
      checkSegment('checkpoint label', cp.label);
      const leaves = await input.leavesOf(cp);
      if (leaves.length !== cp.value.count) {
        problems.push(
          `checkpoint ${checkpointPath(cp.stream, cp.label)} covers ${cp.value.count} records but the case holds ${leaves.length} of seq ${cp.value.firstSeq}-${cp.value.lastSeq}`,
        );
        continue;
      }
      const indices = members.map((i) => recs[i].seq! - cp.value.firstSeq);
      const tree = proveLeaves(leaves, indices);
      if (tree.root.toString('hex') !== cp.value.merkleRoot) {
        problems.push(
          `checkpoint ${checkpointPath(cp.stream, cp.label)}: the records the case holds for seq ${cp.value.firstSeq}-${cp.value.lastSeq} do not give its merkleRoot`,
        );
        continue;
      }
      usedCheckpoints.add(cp);
      members.forEach((i, j) => {
        Object.assign(proofs[i], {
          checkpoint: cp.label,
          leafIndex: indices[j],
          treeSize: cp.value.count,
          path: tree.paths.get(indices[j])!.map((b) => b.toString('hex')),
        });
      });
    }
    files.push({ path: recordsPath(stream), bytes: Buffer.from(recs.map((r) => `${r.text}\n`).join(''), 'utf8') });
    files.push({ path: proofsPath(stream), bytes: jsonl(proofs) });
    streamsInfo[stream] = {
      kind: recs[0].kind,
      records: recs.length,
      anchored: proofs.filter((p) => p.checkpoint !== null).length,
      file: recordsPath(stream),
      proofs: proofsPath(stream),
    };
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    throw new AuditWsError(
      'MALFORMED_RECORD',
      `the package would not verify, so it was not written: ${shown}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}. Run audit-ws verify on the case's archives for the full findings.`,
    );
  }

  const checkpointsInfo: PackageManifest['checkpoints'] = [];
  for (const cp of [...usedCheckpoints].sort(
    (a, b) => a.stream.localeCompare(b.stream) || a.value.firstSeq - b.value.firstSeq,
  )) {
    const p = checkpointPath(cp.stream, cp.label);
    files.push({ path: p, bytes: cp.bytes });
    const info: PackageManifest['checkpoints'][number] = {
      stream: cp.stream,
      label: cp.label,
      file: p,
      firstSeq: cp.value.firstSeq,
      lastSeq: cp.value.lastSeq,
      count: cp.value.count,
    };
    if (cp.sig) {
      files.push({ path: `${p}.sig`, bytes: cp.sig });
      info.signature = `${p}.sig`;
    }
    if (cp.tsr) {
      files.push({ path: `${p}.tsr`, bytes: cp.tsr });
      info.timestamp = `${p}.tsr`;
    }
    checkpointsInfo.push(info);
  }

  const explanationsInfo: PackageExplanation[] = [];
  const objectLines: string[] = [];
  for (const e of [...(input.explanations ?? [])].sort((a, b) => a.ref.localeCompare(b.ref))) {
    for (const part of e.ref.split('/')) checkSegment('explanation reference', part);
    const file = explanationPath(e.ref);
    files.push({ path: file, bytes: e.bytes });
    const info: PackageExplanation = {
      ref: e.ref,
      file,
      sha256: sha256Hex(e.bytes),
      size: e.bytes.length,
      decisionIds: [...e.decisionIds].sort(),
      source: e.source,
    };
    if (e.objectStoreLine !== undefined) {
      objectLines.push(e.objectStoreLine);
      info.objectStore = objectLines.length;
    }
    explanationsInfo.push(info);
  }
  if (objectLines.length > 0)
    files.push({
      path: EXPLANATION_OBJECTS_FILE,
      bytes: Buffer.from(objectLines.map((l) => `${l}\n`).join(''), 'utf8'),
    });

  for (const k of input.keys) files.push({ path: `keys/${k.name}`, bytes: k.bytes });
  let signature: PackageManifest['signature'];
  if (input.signingKey) {
    if (input.signingKey.asymmetricKeyType !== 'ed25519') {
      throw new AuditWsError(
        'UNSUPPORTED',
        `the signing key is ${input.signingKey.asymmetricKeyType ?? 'not a private key'}; packages are signed with Ed25519`,
      );
    }
    const pub = createPublicKey(input.signingKey);
    files.push({
      path: INVESTIGATOR_KEY_FILE,
      bytes: Buffer.from(pub.export({ type: 'spki', format: 'pem' }) as string, 'utf8'),
    });
    signature = {
      algorithm: 'ed25519',
      file: SUMS_SIG_FILE,
      publicKey: INVESTIGATOR_KEY_FILE,
      spkiSha256: spkiFingerprint(pub).hex,
    };
  }
  for (const f of input.report) files.push(f);
  files.push({ path: CUSTODY_FILE, bytes: jsonl(input.custody) });

  const last = input.custody[input.custody.length - 1];
  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT,
    formatVersion: PACKAGE_FORMAT_VERSION,
    createdAt: input.createdAt.toISOString(),
    creator: input.creator,
    case: input.case,
    selection: input.selection,
    hashRule: 'jcs-sha256-v1',
    merkleTree: 'RFC 6962 over the 32 raw bytes of each record hash',
    records: streamsInfo,
    checkpoints: checkpointsInfo,
    sources: input.sources,
    report: input.report.map((f) => f.path),
    explanations: explanationsInfo,
    custody: {
      file: CUSTODY_FILE,
      entries: input.custody.length,
      withheld: input.custody.filter((e) => e.details === undefined).length,
      headHash: last ? last.hash : null,
    },
    notes: input.notes ?? [],
  };
  if (signature) manifest.signature = signature;
  files.push({ path: PACKAGE_JSON, bytes: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') });

  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new AuditWsError('INTERNAL', `package file ${f.path} would be written twice`);
    seen.add(f.path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sums = files.map((f) => `${sha256Hex(f.bytes)}  ${f.path}\n`).join('');
  files.push({ path: SUMS_FILE, bytes: Buffer.from(sums, 'utf8') });
  if (input.signingKey) {
    const sig = cryptoSign(null, Buffer.from(sums, 'utf8'), input.signingKey).toString('base64');
    files.push({ path: SUMS_SIG_FILE, bytes: Buffer.from(`${sig}\n`, 'utf8') });
  }
  return { files, manifest, sums };
}

/**
 * Writes the files as a zip under a temporary name and renames it into place when complete; returns its
 * SHA-256. `beforePublish` gets that digest before the rename (the custody entry is written there, so no
 * package appears that the custody log does not name); if it throws, no package is kept.
 */
export async function writePackageZip(
  files: readonly PackageFile[],
  outFile: string,
  mtime: Date,
  beforePublish?: (sha256: string) => void,
): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const f of files) zip.addBuffer(f.bytes, f.path, { mtime, mode: 0o100644 });
  zip.end();
  const tmp = partFileOf(path.resolve(outFile));
  removeStalePartFiles(path.dirname(tmp)); // left by a killed writer (src/case/part-files.ts)
  const hash = createHash('sha256');
  let sha256: string;
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp);
      zip.outputStream.on('data', (b: Buffer) => hash.update(b));
      zip.outputStream.on('error', reject);
      out.on('error', reject);
      out.on('close', () => resolve());
      zip.outputStream.pipe(out);
    });
    sha256 = hash.digest('hex');
  } catch (err) {
    rmSync(tmp, { force: true });
    throw cannotWrite(outFile, err);
  }
  try {
    beforePublish?.(sha256);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    renameSync(tmp, outFile);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw cannotWrite(outFile, err);
  }
  return sha256;
}

function cannotWrite(outFile: string, err: unknown): AuditWsError {
  return new AuditWsError(
    'UNREADABLE_INPUT',
    `${outFile}: cannot be written (${err instanceof Error ? err.message : String(err)})`,
    { file: outFile },
  );
}
