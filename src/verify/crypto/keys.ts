import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { AuditWsError } from '../../errors.ts';

/**
 * Public keys and certificates, where they came from, and whether the investigator trusts them.
 *
 * Trust is never inferred from an archive: a key the archive ships in keys/ proves only that the
 * producer (or whoever rewrote the archive) holds the matching private key. Only keys the
 * investigator pins, by file or by fingerprint, are "pinned".
 */

export type KeyTrust = 'pinned' | 'self-asserted';
export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'rsa' | 'unsupported';

export interface Fingerprint {
  /** lowercase hex SHA-256, 64 characters */
  hex: string;
  /** uppercase colon-separated pairs, the way openssl and browsers print fingerprints */
  colon: string;
}

export interface KeyMaterial {
  /** the file the key was read from (as given, or archive-relative for archive keys) */
  file: string;
  /** 0-based position of the PEM block inside that file */
  index: number;
  kind: 'public-key' | 'certificate';
  publicKey: KeyObject;
  algorithm: KeyAlgorithm;
  /** e.g. "ed25519", "ec prime256v1", "rsa 2048 bits": for messages */
  algorithmDetail: string;
  /** SHA-256 over the DER SubjectPublicKeyInfo: the same value for a bare key and a cert holding it */
  spki: Fingerprint;
  certificate?: X509Certificate;
  certificateDer?: Buffer;
  /** SHA-256 over the DER certificate */
  certificateFingerprint?: Fingerprint;
  subject?: string;
}

export interface CandidateKey extends KeyMaterial {
  trust: KeyTrust;
}

export interface KeyLoadResult {
  keys: KeyMaterial[];
  /** things a careful reader should know, e.g. that a private key was found */
  warnings: string[];
}

export function fingerprintOf(bytes: Uint8Array): Fingerprint {
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { hex, colon: colonFingerprint(hex) };
}

export function colonFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

export function spkiFingerprint(key: KeyObject): Fingerprint {
  return fingerprintOf(key.export({ type: 'spki', format: 'der' }));
}

export function certificateFingerprint(certificateDer: Uint8Array): Fingerprint {
  return fingerprintOf(certificateDer);
}

/**
 * Accepts a SHA-256 fingerprint as hex, colon-separated hex, or either prefixed with "sha256:"
 * (case-insensitive) and returns lowercase hex; undefined when the text is not one.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const stripped = text
    .trim()
    .replace(/^sha-?256:/i, '')
    .replace(/[:\s]/g, '');
  return /^[0-9a-fA-F]{64}$/.test(stripped) ? stripped.toLowerCase() : undefined;
}

function classify(key: KeyObject): { algorithm: KeyAlgorithm; detail: string } {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ed25519') return { algorithm: 'ed25519', detail: 'ed25519' };
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown curve';
    return { algorithm: curve === 'prime256v1' ? 'ecdsa-p256' : 'unsupported', detail: `ec ${curve}` };
  }
  if (type === 'rsa') return { algorithm: 'rsa', detail: `rsa ${details.modulusLength ?? '?'} bits` };
  return { algorithm: 'unsupported', detail: type };
}

function fromPublicKey(key: KeyObject, file: string, index: number): KeyMaterial {
  const { algorithm, detail } = classify(key);
  return {
    file,
    index,
    kind: 'public-key',
    publicKey: key,
    algorithm,
    algorithmDetail: detail,
    spki: spkiFingerprint(key),
  };
}

function fromCertificate(der: Buffer, file: string, index: number): KeyMaterial {
  const certificate = new X509Certificate(der);
  const key = certificate.publicKey;
  const { algorithm, detail } = classify(key);
  return {
    file,
    index,
    kind: 'certificate',
    publicKey: key,
    algorithm,
    algorithmDetail: detail,
    spki: spkiFingerprint(key),
    certificate,
    certificateDer: Buffer.from(certificate.raw),
    certificateFingerprint: certificateFingerprint(certificate.raw),
    subject: certificate.subject.replace(/\n/g, ', '),
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Reads every public key and certificate in a PEM (one or more blocks) or DER file. Private keys
 * are reduced to their public half with a warning (an archive should never ship one). Throws
 * AuditWsError UNREADABLE_INPUT naming the file when it holds no usable key at all.
 */
export function parseKeyMaterial(bytes: Buffer, file: string): KeyLoadResult {
  const keys: KeyMaterial[] = [];
  const warnings: string[] = [];
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    const key = parseDer(bytes, file);
    if (!key) {
      throw new AuditWsError('UNREADABLE_INPUT', `${file}: not a PEM or DER public key or X.509 certificate`, { file });
    }
    return { keys: [key], warnings };
  }
  blocks.forEach((block, index) => {
    const label = block[1];
    const pem = block[0];
    try {
      if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE') {
        const der = Buffer.from(block[2].replace(/\s+/g, ''), 'base64');
        keys.push(fromCertificate(der, file, index));
      } else if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
        keys.push(fromPublicKey(createPublicKey(pem), file, index));
      } else if (label === 'PRIVATE KEY' || label === 'EC PRIVATE KEY' || label === 'RSA PRIVATE KEY') {
        keys.push(fromPublicKey(createPublicKey(pem), file, index));
        warnings.push(
          `${file}: PEM block ${index + 1} is a PRIVATE key; only its public half is used, and a private key should never be shared`,
        );
      } else {
        warnings.push(`${file}: PEM block ${index + 1} (${label}) is not a public key or certificate and was skipped`);
      }
    } catch (err) {
      warnings.push(`${file}: PEM block ${index + 1} (${label}) cannot be read: ${(err as Error).message}`);
    }
  });
  if (keys.length === 0) {
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: holds no readable public key or certificate${warnings.length ? ` (${warnings.join('; ')})` : ''}`,
      { file },
    );
  }
  return { keys, warnings };
}

function parseDer(bytes: Buffer, file: string): KeyMaterial | undefined {
  try {
    return fromCertificate(bytes, file, 0);
  } catch {
    /* not a certificate: try the bare key encodings */
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return fromPublicKey(createPublicKey({ key: bytes, format: 'der', type }), file, 0);
    } catch {
      /* next encoding */
    }
  }
  return undefined;
}

/** Reads one key file from disk; NOT_FOUND / UNREADABLE_INPUT errors name the file. */
export function loadKeyFile(path: string, displayPath = path): KeyLoadResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE_INPUT';
    throw new AuditWsError(code, `${displayPath}: cannot read key file (${(err as Error).message})`, {
      file: displayPath,
    });
  }
  return parseKeyMaterial(bytes, displayPath);
}

/**
 * Reads the keys an archive offers (its keys/*.pem). One unreadable file must not stop the
 * verification of everything else, so problems come back as warnings instead of throwing.
 */
export function loadArchiveKeys(files: { path: string; absPath: string }[]): KeyLoadResult {
  const keys: KeyMaterial[] = [];
  const warnings: string[] = [];
  for (const f of files) {
    try {
      const r = loadKeyFile(f.absPath, f.path);
      keys.push(...r.keys);
      warnings.push(...r.warnings);
    } catch (err) {
      warnings.push((err as Error).message);
    }
  }
  return { keys, warnings };
}

export interface TrustStoreOptions {
  /** --trust-key: key/certificate files, or SHA-256 fingerprints (of the SPKI or of a certificate) */
  pins?: string[];
  /** --trust-tsa: PEM/DER certificates that anchor TSA chains */
  tsaAnchors?: string[];
}

/** What the investigator trusts, built only from what they supplied. */
export class TrustStore {
  readonly pinnedKeys: KeyMaterial[];
  readonly pinnedFingerprints: ReadonlySet<string>;
  readonly tsaAnchors: KeyMaterial[];
  readonly warnings: string[];

  constructor(init: {
    pinnedKeys?: KeyMaterial[];
    pinnedFingerprints?: Iterable<string>;
    tsaAnchors?: KeyMaterial[];
    warnings?: string[];
  }) {
    this.pinnedKeys = init.pinnedKeys ?? [];
    this.pinnedFingerprints = new Set(init.pinnedFingerprints ?? []);
    this.tsaAnchors = init.tsaAnchors ?? [];
    this.warnings = init.warnings ?? [];
  }

  static empty(): TrustStore {
    return new TrustStore({});
  }

  /**
   * A pin that names an existing file is read as a key file; otherwise it must be a fingerprint.
   * Bad pins are usage errors: verification must not quietly run with less trust than asked for.
   */
  static load(options: TrustStoreOptions): TrustStore {
    const pinnedKeys: KeyMaterial[] = [];
    const fingerprints: string[] = [];
    const warnings: string[] = [];
    for (const pin of options.pins ?? []) {
      if (existsSync(pin)) {
        const r = loadKeyFile(pin);
        pinnedKeys.push(...r.keys);
        warnings.push(...r.warnings);
        continue;
      }
      const fp = normalizeFingerprint(pin);
      if (!fp) {
        throw new AuditWsError(
          'BAD_USAGE',
          `${pin}: a pinned key must be an existing key file or a SHA-256 fingerprint (64 hex digits, colons allowed)`,
          { file: pin },
        );
      }
      fingerprints.push(fp);
    }
    const tsaAnchors: KeyMaterial[] = [];
    for (const path of options.tsaAnchors ?? []) {
      const r = loadKeyFile(path);
      const certs = r.keys.filter((k) => k.kind === 'certificate');
      if (certs.length === 0) {
        throw new AuditWsError(
          'BAD_USAGE',
          `${path}: a TSA trust anchor must be an X.509 certificate, not a bare key`,
          {
            file: path,
          },
        );
      }
      tsaAnchors.push(...certs);
      warnings.push(...r.warnings);
    }
    return new TrustStore({ pinnedKeys, pinnedFingerprints: fingerprints, tsaAnchors, warnings });
  }

  /** True when the key was pinned by file, or its SPKI or certificate fingerprint was pinned. */
  isPinned(key: KeyMaterial): boolean {
    if (this.pinnedFingerprints.has(key.spki.hex)) return true;
    if (key.certificateFingerprint && this.pinnedFingerprints.has(key.certificateFingerprint.hex)) return true;
    return this.pinnedKeys.some((p) => p.spki.hex === key.spki.hex);
  }

  /** Pinned fingerprints that match none of the given keys: worth telling the investigator. */
  unmatchedFingerprints(keys: KeyMaterial[]): string[] {
    return [...this.pinnedFingerprints].filter(
      (fp) => !keys.some((k) => k.spki.hex === fp || k.certificateFingerprint?.hex === fp),
    );
  }

  trustOf(key: KeyMaterial): KeyTrust {
    return this.isPinned(key) ? 'pinned' : 'self-asserted';
  }

  /**
   * Every key a checkpoint signature may be checked against: the pinned key files first, then the
   * archive's keys with their trust judged here. A key offered twice appears once, pinned if
   * either copy is.
   */
  signatureCandidates(archiveKeys: KeyMaterial[] = []): CandidateKey[] {
    const seen = new Map<string, CandidateKey>();
    for (const k of this.pinnedKeys) if (!seen.has(k.spki.hex)) seen.set(k.spki.hex, { ...k, trust: 'pinned' });
    for (const k of archiveKeys) if (!seen.has(k.spki.hex)) seen.set(k.spki.hex, { ...k, trust: this.trustOf(k) });
    return [...seen.values()];
  }
}
