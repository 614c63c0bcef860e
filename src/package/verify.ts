/**
 * The regulator's side: re-verifies an evidence package with nothing but the package and the keys
 * the regulator chooses to trust. It opens no case and trusts nothing the package says about itself:
 *
 *   1. SHA256SUMS: every listed file has that digest; every file is listed (nothing added);
 *   2. SHA256SUMS.sig, when present: the investigator's Ed25519 signature over SHA256SUMS;
 *   3. every record re-hashed (jcs-sha256-v1) against its `hash` member;
 *   4. every record's proof leads, by RFC 6962, from its hash to its checkpoint's merkleRoot;
 *   5. every checkpoint is well formed, its signature verifies (pinned keys trusted, keys the package
 *      carries only self-asserted) and its RFC 3161 time-stamp covers its bytes;
 *   6. the custody log excerpt's hash chain holds;
 *   7. the explanation artefacts match the object store's checksums, and the decisions' references to them
 *      (verify-explanations.ts).
 *
 * Every finding names the file (and line) it is about. The verdict uses the vocabulary of
 * `audit-ws verify`: tampered, unanchored, unverifiable or intact; trust gaps are stated, not hidden.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordHash, sha256Hex } from '../archive/canonical.ts';
import { parseStrictJson } from '../archive/jsontext.ts';
import { firstNonUtf8Line } from '../archive/lines.ts';
import { DEFAULT_EXTRACT_LIMITS, extractZip } from '../archive/containers.ts';
import { verifyInclusion } from '../archive/merkle.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { parseKeyMaterial, TrustStore } from '../verify/crypto/keys.ts';
import type { KeyMaterial } from '../verify/crypto/keys.ts';
import { verifyCheckpointSignature } from '../verify/crypto/signature.ts';
import { verifyTimestamp } from '../verify/crypto/timestamp.ts';
import { FindingSink, type Finding, type StreamVerdict } from '../verify/findings.ts';
import { verifyCustodyExcerpt } from './custody-excerpt.ts';
import { verifyPackageExplanations } from './verify-explanations.ts';
import type { NamedExplanations } from './verify-explanations.ts';
import {
  CUSTODY_FILE,
  INVESTIGATOR_KEY_FILE,
  PACKAGE_FORMAT,
  PACKAGE_JSON,
  SUMS_FILE,
  SUMS_SIG_FILE,
  checkpointPath,
  explanationRefOfRecord,
  proofsPath,
} from './format.ts';
import type { CustodyExcerptEntry, PackageManifest, ProofEntry } from './format.ts';

export interface PackageVerifyOptions {
  /** Public keys (PEM files) or SPKI fingerprints to trust for checkpoint signatures and the package signature. */
  trustKeys?: string[];
  /** TSA trust anchors (certificate files). */
  trustTsa?: string[];
}

export interface PackageCheckpointResult {
  stream: string;
  label: string;
  file: string;
  firstSeq?: number;
  lastSeq?: number;
  signature: { status: string; reason: string; keySha256?: string; trusted: boolean };
  timestamp: { status: string; reason: string; genTime?: string; tsa?: string };
}

export interface PackageStreamResult {
  stream: string;
  /** The record kind package.json gives the stream (self-asserted). */
  kind?: string;
  records: number;
  proven: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Packaged checkpoints of the stream that verified as well formed. */
  checkpoints: number;
}

export interface PackageVerifyReport {
  package: string;
  verdict: StreamVerdict;
  reason: string;
  toolVersion: string;
  checkedAt: string;
  trust: { keys: string[]; tsa: string[] };
  manifest?: Pick<PackageManifest, 'createdAt' | 'creator' | 'case' | 'selection'>;
  files: number;
  records: number;
  provenRecords: number;
  /** Per stream: its records, how many are proven members of a packaged checkpoint, and over which seqs. */
  streams: PackageStreamResult[];
  signature: { status: string; reason: string; keySha256?: string; trusted: boolean };
  checkpoints: PackageCheckpointResult[];
  custody: { entries: number; withheld: number };
  /** Explanation artefacts the package carries. */
  explanations: number;
  checks: { id: string; pass: number; fail: number; warn: number; unverifiable: number }[];
  findings: Finding[];
}

interface LoadedCheckpoint {
  path: string;
  bytes: Buffer;
  value: {
    stream: string;
    label: string;
    firstSeq: number;
    lastSeq: number;
    count: number;
    merkleRoot: string;
    prevCheckpointSha256?: string | null;
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Every regular file under root, as posix paths relative to it; links are reported, not followed. */
async function listFiles(root: string, sink: FindingSink): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), p);
      else if (e.isFile()) out.push(p);
      else
        sink.add({
          check: 'package-form',
          status: 'fail',
          category: 'integrity',
          file: p,
          message: `${p}: not a regular file (a link or special file has no place in a package)`,
        });
    }
  };
  await walk(root, '');
  return out.sort();
}

function jsonLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((t, i) => out.push({ line: i + 1, text: t }));
  return out;
}

/**
 * JSON.parse for package files other than records, refusing what the archive reader refuses: a member
 * name given twice (JSON.parse keeps the last value, other readers the first, so a forger could show
 * each a different value), nesting past the limit, and a number JSON cannot carry exactly (which no
 * hash can be recomputed over). Throws an Error with a one-line reason.
 */
function strictJson(text: string): unknown {
  const parsed = parseStrictJson(text);
  if (!parsed.ok) throw new Error(`${parsed.message} (column ${parsed.offset + 1})`);
  if (parsed.inexact) throw new Error(parsed.inexact);
  return parsed.value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class PackageReader {
  constructor(
    readonly root: string,
    readonly files: ReadonlySet<string>,
  ) {}
  has(p: string): boolean {
    return this.files.has(p);
  }
  read(p: string): Promise<Buffer> {
    return fsp.readFile(path.join(this.root, ...p.split('/')));
  }
}

/** Opens a package (a .zip or a folder) for reading; the zip is extracted with the archive reader's limits. */
export async function openPackage(file: string): Promise<{ root: string; close: () => Promise<void> }> {
  let stat;
  try {
    stat = await fsp.stat(file);
  } catch {
    throw new AuditWsError('NOT_FOUND', `${file}: no such file or folder`, { file });
  }
  if (stat.isDirectory()) return { root: file, close: async () => {} };
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'audit-ws-package-'));
  const close = async (): Promise<void> => fsp.rm(dir, { recursive: true, force: true });
  try {
    await extractZip(file, file, dir, DEFAULT_EXTRACT_LIMITS);
  } catch (err) {
    await close();
    throw err;
  }
  return { root: dir, close };
}

export async function verifyEvidencePackage(
  file: string,
  options: PackageVerifyOptions = {},
): Promise<PackageVerifyReport> {
  const trust = TrustStore.load({ pins: options.trustKeys ?? [], tsaAnchors: options.trustTsa ?? [] });
  const opened = await openPackage(file);
  try {
    return await verifyOpened(file, opened.root, trust, options);
  } finally {
    await opened.close();
  }
}

/** Verifies a package already opened (openPackage) at `root`; `source` is what the report names. */
export async function verifyOpenedPackage(
  source: string,
  root: string,
  options: PackageVerifyOptions = {},
): Promise<PackageVerifyReport> {
  const trust = TrustStore.load({ pins: options.trustKeys ?? [], tsaAnchors: options.trustTsa ?? [] });
  return verifyOpened(source, root, trust, options);
}

async function verifyOpened(
  source: string,
  root: string,
  trust: TrustStore,
  options: PackageVerifyOptions,
): Promise<PackageVerifyReport> {
  const sink = new FindingSink();
  const fail = (f: Omit<Finding, 'status' | 'category'> & { category?: Finding['category'] }): void =>
    sink.add({ category: 'integrity', ...f, status: 'fail' });
  const listed = await listFiles(root, sink);
  const pkg = new PackageReader(root, new Set(listed));

  // 1. SHA256SUMS
  const covered = new Set<string>();
  if (!pkg.has(SUMS_FILE)) {
    fail({
      check: 'sha256sums',
      file: SUMS_FILE,
      message: `${SUMS_FILE} is missing: nothing binds the files of the package together`,
    });
  } else {
    const sums = (await pkg.read(SUMS_FILE)).toString('utf8');
    for (const { line, text } of jsonLines(sums)) {
      const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(text);
      if (!m) {
        fail({
          check: 'sha256sums',
          file: SUMS_FILE,
          line,
          message: `${SUMS_FILE}:${line}: not a "<sha256>  <file>" line`,
        });
        continue;
      }
      const [, digest, name] = m;
      covered.add(name);
      // a package never names a file outside itself: such a line was written into SHA256SUMS afterwards
      if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split(/[\\/]/).includes('..')) {
        fail({
          check: 'sha256sums',
          file: SUMS_FILE,
          line,
          message: `${SUMS_FILE}:${line}: names ${name}, a path outside the package (never read): the list was altered`,
        });
        continue;
      }
      if (!pkg.has(name)) {
        fail({
          check: 'sha256sums',
          category: 'completeness',
          file: name,
          message: `${name}: listed in ${SUMS_FILE} (line ${line}) but missing from the package`,
        });
        continue;
      }
      const actual = sha256Hex(await pkg.read(name));
      if (actual !== digest.toLowerCase()) {
        fail({
          check: 'sha256sums',
          file: name,
          expected: digest.toLowerCase(),
          actual,
          message: `${name}: its SHA-256 differs from ${SUMS_FILE} (line ${line}): the file was changed`,
        });
      } else sink.pass('sha256sums');
    }
    for (const name of listed) {
      if (name === SUMS_FILE || name === SUMS_SIG_FILE || covered.has(name)) continue;
      fail({
        check: 'sha256sums',
        file: name,
        message: `${name}: not listed in ${SUMS_FILE}: the file was added to the package`,
      });
    }
  }

  // 2. the investigator's signature over SHA256SUMS
  let signature: PackageVerifyReport['signature'] = {
    status: 'warn',
    reason: 'The package is not signed (no SHA256SUMS.sig).',
    trusted: false,
  };
  const packageKeys: KeyMaterial[] = [];
  for (const name of listed.filter((p) => /^keys\/[^/]+\.pem$/i.test(p))) {
    try {
      packageKeys.push(...parseKeyMaterial(await pkg.read(name), name).keys);
    } catch (err) {
      sink.add({
        check: 'package-form',
        status: 'warn',
        category: 'trust',
        file: name,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  if (pkg.has(SUMS_SIG_FILE) && pkg.has(SUMS_FILE)) {
    const investigatorKeys = packageKeys.filter((k) => k.file === INVESTIGATOR_KEY_FILE);
    const r = verifyCheckpointSignature({
      checkpointBytes: await pkg.read(SUMS_FILE),
      signature: await pkg.read(SUMS_SIG_FILE),
      keys: trust.signatureCandidates(investigatorKeys),
      checkpointFile: SUMS_FILE,
      signatureFile: SUMS_SIG_FILE,
    });
    signature = { status: r.status, reason: r.reason, keySha256: r.verifiedBy?.spkiSha256, trusted: r.trusted };
    if (r.status === 'pass') sink.pass('package-signature');
    else
      sink.add({
        check: 'package-signature',
        status: r.status,
        category: r.status === 'fail' && !r.verifiedBy ? 'integrity' : 'trust',
        file: SUMS_SIG_FILE,
        message: `${SUMS_SIG_FILE}: ${r.reason}`,
      });
  } else {
    sink.add({
      check: 'package-signature',
      status: 'warn',
      category: 'trust',
      file: SUMS_SIG_FILE,
      message: signature.reason,
    });
  }

  // 3. package.json
  let manifest: PackageManifest | undefined;
  if (!pkg.has(PACKAGE_JSON))
    fail({ check: 'package-form', file: PACKAGE_JSON, message: `${PACKAGE_JSON} is missing` });
  else {
    try {
      const v = strictJson((await pkg.read(PACKAGE_JSON)).toString('utf8'));
      if (!isObject(v) || v.format !== PACKAGE_FORMAT)
        fail({
          check: 'package-form',
          file: PACKAGE_JSON,
          message: `${PACKAGE_JSON}: not an evidence package description (format is not "${PACKAGE_FORMAT}")`,
        });
      else manifest = v as unknown as PackageManifest;
    } catch (err) {
      fail({
        check: 'package-form',
        file: PACKAGE_JSON,
        message: `${PACKAGE_JSON}: not valid JSON (${(err as Error).message})`,
      });
    }
  }

  // 5. checkpoints (before the proofs that rest on them)
  const checkpoints = new Map<string, LoadedCheckpoint>();
  const checkpointResults: PackageCheckpointResult[] = [];
  const sourceKeys = packageKeys.filter((k) => k.file !== INVESTIGATOR_KEY_FILE);
  for (const p of listed.filter((f) => /^checkpoints\/[^/]+\/[^/]+\.json$/.test(f))) {
    const [, stream, base] = p.split('/');
    const label = base.slice(0, -'.json'.length);
    const bytes = await pkg.read(p);
    let value: LoadedCheckpoint['value'] | undefined;
    try {
      const v = strictJson(bytes.toString('utf8'));
      const ok =
        isObject(v) &&
        Number.isSafeInteger(v.firstSeq) &&
        Number.isSafeInteger(v.lastSeq) &&
        Number.isSafeInteger(v.count) &&
        typeof v.merkleRoot === 'string' &&
        HEX64.test(v.merkleRoot);
      if (!ok)
        fail({
          check: 'checkpoint-form',
          stream,
          file: p,
          message: `${p}: lacks firstSeq, lastSeq, count or a hex merkleRoot`,
        });
      else {
        value = v as unknown as LoadedCheckpoint['value'];
        if (value.count !== value.lastSeq - value.firstSeq + 1)
          fail({
            check: 'checkpoint-form',
            stream,
            file: p,
            message: `${p}: count ${value.count} is not lastSeq - firstSeq + 1 = ${value.lastSeq - value.firstSeq + 1}`,
          });
        else if (value.stream !== stream || value.label !== label)
          fail({
            check: 'checkpoint-form',
            stream,
            file: p,
            message: `${p}: names stream "${value.stream}" and label "${value.label}", not the ones its path gives`,
          });
        else {
          sink.pass('checkpoint-form');
          checkpoints.set(`${stream}\u0000${label}`, { path: p, bytes, value });
        }
      }
    } catch (err) {
      fail({ check: 'checkpoint-form', stream, file: p, message: `${p}: not valid JSON (${(err as Error).message})` });
    }
    const result: PackageCheckpointResult = {
      stream,
      label,
      file: p,
      firstSeq: value?.firstSeq,
      lastSeq: value?.lastSeq,
      signature: {
        status: 'warn',
        reason: `${p} has no signature (.sig): nothing proves who wrote it.`,
        trusted: false,
      },
      timestamp: {
        status: 'warn',
        reason: `${p} has no RFC 3161 time-stamp (.tsr): nothing independent proves when it existed.`,
      },
    };
    if (pkg.has(`${p}.sig`)) {
      const r = verifyCheckpointSignature({
        checkpointBytes: bytes,
        signature: await pkg.read(`${p}.sig`),
        keys: trust.signatureCandidates(sourceKeys),
        checkpointFile: p,
        signatureFile: `${p}.sig`,
      });
      result.signature = {
        status: r.status,
        reason: r.reason,
        keySha256: r.verifiedBy?.spkiSha256,
        trusted: r.trusted,
      };
      if (r.status === 'pass') sink.pass('checkpoint-signature');
      else
        sink.add({
          check: 'checkpoint-signature',
          status: r.status,
          category: r.status === 'fail' && !r.verifiedBy ? 'integrity' : 'trust',
          stream,
          file: `${p}.sig`,
          message: `${p}.sig: ${r.reason}`,
        });
    } else
      sink.add({
        check: 'checkpoint-signature',
        status: 'warn',
        category: 'trust',
        stream,
        file: p,
        message: result.signature.reason,
      });
    if (pkg.has(`${p}.tsr`)) {
      try {
        const r = await verifyTimestamp({
          checkpointBytes: bytes,
          tokenBytes: await pkg.read(`${p}.tsr`),
          tokenFile: `${p}.tsr`,
          checkpointFile: p,
          anchors: trust.tsaAnchors,
          extraCertificates: sourceKeys.filter((k) => k.kind === 'certificate'),
        });
        result.timestamp = { status: r.status, reason: r.reason, genTime: r.genTime, tsa: r.tsaSubject ?? r.tsaName };
        if (r.status === 'pass') sink.pass('checkpoint-timestamp');
        else {
          const broken = r.checks.some((c) => c.status === 'fail' && (c.name === 'imprint' || c.name === 'signature'));
          sink.add({
            check: 'checkpoint-timestamp',
            status: r.status,
            category: broken ? 'integrity' : 'trust',
            stream,
            file: `${p}.tsr`,
            message: `${p}.tsr: ${r.reason}`,
          });
        }
      } catch (err) {
        result.timestamp = { status: 'fail', reason: (err as Error).message };
        fail({
          check: 'checkpoint-timestamp',
          stream,
          file: `${p}.tsr`,
          message: `${p}.tsr: ${(err as Error).message}`,
        });
      }
    } else
      sink.add({
        check: 'checkpoint-timestamp',
        status: 'warn',
        category: 'trust',
        stream,
        file: p,
        message: result.timestamp.reason,
      });
    checkpointResults.push(result);
  }
  // Consecutive checkpoints that are both in the package must link.
  for (const cp of checkpoints.values()) {
    const prev = [...checkpoints.values()].find(
      (o) => o.value.stream === cp.value.stream && o.value.lastSeq + 1 === cp.value.firstSeq,
    );
    if (prev && cp.value.prevCheckpointSha256 !== sha256Hex(prev.bytes)) {
      fail({
        check: 'checkpoint-continuity',
        stream: cp.value.stream,
        file: cp.path,
        message: `${cp.path}: prevCheckpointSha256 is not the SHA-256 of ${prev.path}`,
      });
    }
  }

  // 3-4. records and their proofs
  let records = 0;
  let proven = 0;
  const streamResults: PackageStreamResult[] = [];
  const namedExplanations: NamedExplanations = new Map();
  for (const recPath of listed.filter((f) => /^records\/[^/]+\.jsonl$/.test(f))) {
    const stream = recPath.slice('records/'.length, -'.jsonl'.length);
    const proofPath = proofsPath(stream);
    const recBytes = await pkg.read(recPath);
    const recLines = jsonLines(recBytes.toString('utf8'));
    const badUtf8 = firstNonUtf8Line(recBytes);
    if (badUtf8 !== undefined)
      fail({
        check: 'record-hash',
        stream,
        file: recPath,
        line: badUtf8,
        message: `${recPath}:${badUtf8}: not valid UTF-8: the bytes are not the record that was hashed`,
      });
    records += recLines.length;
    const streamResult: PackageStreamResult = {
      stream,
      records: recLines.length,
      proven: 0,
      checkpoints: [...checkpoints.values()].filter((c) => c.value.stream === stream).length,
    };
    const declaredKind = manifest?.records?.[stream]?.kind;
    if (typeof declaredKind === 'string') streamResult.kind = declaredKind;
    streamResults.push(streamResult);
    const proofs = new Map<number, { line: number; entry: ProofEntry }>();
    if (!pkg.has(proofPath))
      fail({
        check: 'record-proof',
        stream,
        file: proofPath,
        message: `${proofPath} is missing: the records of ${recPath} have no proofs`,
      });
    else {
      for (const { line, text } of jsonLines((await pkg.read(proofPath)).toString('utf8'))) {
        try {
          const e = strictJson(text) as ProofEntry;
          if (!isObject(e) || !Number.isSafeInteger(e.line)) throw new Error('no "line" member');
          proofs.set(e.line, { line, entry: e });
        } catch (err) {
          fail({
            check: 'record-proof',
            stream,
            file: proofPath,
            line,
            message: `${proofPath}:${line}: not a proof entry (${(err as Error).message})`,
          });
        }
      }
      if (proofs.size !== recLines.length) {
        fail({
          check: 'record-proof',
          stream,
          file: proofPath,
          message: `${proofPath} holds ${proofs.size} proofs for the ${recLines.length} records of ${recPath}`,
        });
      }
    }
    for (const { line, text } of recLines) {
      let value: Record<string, unknown>;
      let inexact: string | undefined;
      try {
        const parsed = parseStrictJson(text);
        if (!parsed.ok) throw new Error(`${parsed.message} (column ${parsed.offset + 1})`);
        if (!isObject(parsed.value)) throw new Error('not a JSON object');
        value = parsed.value;
        inexact = parsed.inexact;
      } catch (err) {
        fail({
          check: 'record-hash',
          stream,
          file: recPath,
          line,
          message: `${recPath}:${line}: not a JSON record (${(err as Error).message})`,
        });
        continue;
      }
      const claimed = typeof value.hash === 'string' ? value.hash : undefined;
      const seq = typeof value.seq === 'number' ? value.seq : undefined;
      if (seq !== undefined) {
        streamResult.firstSeq = Math.min(streamResult.firstSeq ?? seq, seq);
        streamResult.lastSeq = Math.max(streamResult.lastSeq ?? seq, seq);
      }
      const ref = explanationRefOfRecord(value);
      if (ref !== undefined) {
        const id = value.decisionId ?? value.decision_id;
        const place = { file: recPath, line, ...(typeof id === 'string' ? { decisionId: id } : {}) };
        namedExplanations.set(ref, [...(namedExplanations.get(ref) ?? []), place]);
      }
      if (claimed === undefined) {
        sink.add({
          check: 'record-hash',
          status: 'unverifiable',
          category: 'integrity',
          stream,
          file: recPath,
          line,
          message: `${recPath}:${line}: the record carries no hash: its integrity cannot be established`,
        });
      } else if (inexact) {
        // a number JSON cannot carry exactly: the hash can neither confirm nor refute the bytes
        sink.add({
          check: 'record-hash',
          status: 'unverifiable',
          category: 'integrity',
          stream,
          seq,
          file: recPath,
          line,
          message: `${recPath}:${line}: the hash of the record cannot be recomputed: ${inexact}`,
        });
      } else {
        const computed = recordHash(value);
        if (computed !== claimed)
          fail({
            check: 'record-hash',
            stream,
            seq,
            file: recPath,
            line,
            expected: claimed,
            actual: computed,
            message: `${recPath}:${line}: the record does not match its hash (seq ${seq}): it was changed`,
          });
        else sink.pass('record-hash');
      }
      const proof = proofs.get(line);
      if (!proof) {
        if (pkg.has(proofPath))
          fail({
            check: 'record-proof',
            stream,
            seq,
            file: proofPath,
            message: `${proofPath}: no proof for ${recPath}:${line}`,
          });
        continue;
      }
      const { entry: e, line: pl } = proof;
      const at = `${proofPath}:${pl}`;
      if (e.seq !== seq || e.hash !== claimed) {
        fail({
          check: 'record-proof',
          stream,
          seq,
          file: proofPath,
          line: pl,
          message: `${at}: names seq ${e.seq} / hash ${String(e.hash).slice(0, 12)}..., but ${recPath}:${line} holds seq ${seq} / hash ${String(claimed).slice(0, 12)}...`,
        });
        continue;
      }
      if (e.checkpoint === null) {
        sink.add({
          check: 'record-proof',
          status: 'warn',
          category: 'anchoring',
          stream,
          seq,
          file: recPath,
          line,
          message: `${recPath}:${line}: not anchored (${e.unanchored ?? 'no checkpoint covers it'}): only its own hash vouches for it`,
        });
        continue;
      }
      const cp = checkpoints.get(`${stream}\u0000${e.checkpoint}`);
      if (!cp) {
        fail({
          check: 'record-proof',
          stream,
          seq,
          file: proofPath,
          line: pl,
          message: `${at}: rests on ${checkpointPath(stream, String(e.checkpoint))}, which is missing or unreadable`,
        });
        continue;
      }
      const ok =
        typeof seq === 'number' &&
        Array.isArray(e.path) &&
        e.path.every((h) => typeof h === 'string' && HEX64.test(h)) &&
        e.leafIndex === seq - cp.value.firstSeq &&
        e.treeSize === cp.value.count &&
        HEX64.test(claimed ?? '') &&
        verifyInclusion(claimed!, e.leafIndex, e.treeSize, e.path, cp.value.merkleRoot);
      if (!ok) {
        fail({
          check: 'record-proof',
          stream,
          seq,
          file: proofPath,
          line: pl,
          message: `${at}: the inclusion proof of seq ${seq} does not lead to the merkleRoot of ${cp.path}`,
        });
      } else {
        proven++;
        streamResult.proven++;
        sink.pass('record-proof');
      }
    }
  }
  for (const p of listed.filter((f) => /^proofs\/[^/]+\.jsonl$/.test(f))) {
    const stream = p.slice('proofs/'.length, -'.jsonl'.length);
    if (!pkg.has(`records/${stream}.jsonl`))
      fail({ check: 'record-proof', stream, file: p, message: `${p}: proofs without records/${stream}.jsonl` });
  }
  if (records === 0)
    fail({
      check: 'package-form',
      category: 'completeness',
      file: 'records/',
      message: 'the package holds no records',
    });

  // 7. explanation artefacts
  const explanations = await verifyPackageExplanations(pkg, listed, namedExplanations, sink);

  // 6. custody log excerpt
  let custody = { entries: 0, withheld: 0 };
  if (!pkg.has(CUSTODY_FILE))
    fail({
      check: 'custody-chain',
      category: 'completeness',
      file: CUSTODY_FILE,
      message: `${CUSTODY_FILE} is missing`,
    });
  else {
    const entries: CustodyExcerptEntry[] = [];
    let parseFailed = false;
    for (const { line, text } of jsonLines((await pkg.read(CUSTODY_FILE)).toString('utf8'))) {
      try {
        const v = strictJson(text);
        if (!isObject(v)) throw new Error('not a JSON object');
        entries.push(v as unknown as CustodyExcerptEntry);
      } catch (err) {
        parseFailed = true;
        fail({
          check: 'custody-chain',
          file: CUSTODY_FILE,
          line,
          message: `${CUSTODY_FILE}:${line}: not valid JSON (${(err as Error).message})`,
        });
      }
    }
    if (!parseFailed) {
      const r = verifyCustodyExcerpt(entries);
      custody = { entries: r.entries, withheld: r.withheld };
      for (const pr of r.problems)
        fail({
          check: 'custody-chain',
          file: CUSTODY_FILE,
          line: pr.line,
          message: `${CUSTODY_FILE}:${pr.line}: ${pr.message}`,
        });
      if (r.problems.length === 0) sink.pass('custody-chain');
    }
  }

  const findings = sink.findings;
  const failing = (cat: string) => findings.find((f) => f.status === 'fail' && f.category === cat);
  let verdict: StreamVerdict;
  let reason: string;
  const broken = failing('integrity') ?? failing('completeness');
  if (broken) {
    verdict = failing('integrity') ? 'tampered' : 'incomplete';
    reason = broken.message;
  } else if (findings.some((f) => f.status === 'unverifiable' && f.category === 'integrity')) {
    verdict = 'unverifiable';
    reason = findings.find((f) => f.status === 'unverifiable')!.message;
  } else if (findings.some((f) => f.category === 'anchoring')) {
    verdict = 'unanchored';
    reason = `${records - proven} of ${records} records are not anchored by a checkpoint.`;
  } else {
    verdict = 'intact';
    reason = `All ${records} records match their hashes and are proven members of ${checkpoints.size} checkpoint(s); every file matches SHA256SUMS.`;
  }
  const trustGaps = findings.filter((f) => f.category === 'trust' && f.status !== 'pass');
  if (trustGaps.length > 0)
    reason += ` Trust: ${trustGaps.length} finding(s) limit what is proven, e.g.: ${trustGaps[0].message}`;
  if (verdict === 'intact' && trustGaps.length === 0)
    reason +=
      ' The checkpoint signatures and time-stamps and the package signature verify against the keys trusted, so who wrote them and when is established too.';

  const report: PackageVerifyReport = {
    package: source,
    verdict,
    reason,
    toolVersion: TOOL_VERSION,
    checkedAt: new Date().toISOString(),
    trust: { keys: options.trustKeys ?? [], tsa: options.trustTsa ?? [] },
    files: listed.length,
    records,
    provenRecords: proven,
    streams: streamResults,
    signature,
    checkpoints: checkpointResults,
    custody,
    explanations,
    checks: [...sink.counts.entries()].map(([id, c]) => ({ id, ...c })),
    findings,
  };
  if (manifest)
    report.manifest = {
      createdAt: manifest.createdAt,
      creator: manifest.creator,
      case: manifest.case,
      selection: manifest.selection,
    };
  return report;
}
