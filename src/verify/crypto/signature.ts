import { constants, verify as cryptoVerify } from 'node:crypto';
import type { CandidateKey, KeyAlgorithm, KeyTrust } from './keys.ts';

/**
 * Checkpoint `.sig` verification: a base64 signature over the exact bytes of the checkpoint file,
 * made with Ed25519, ECDSA P-256/SHA-256 (DER or raw r||s) or RSA PKCS#1 v1.5/SHA-256.
 * Never throws for a bad signature: the outcome is a status with one plain sentence.
 */

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'unverifiable';

export type SignatureEncoding = 'ed25519' | 'ecdsa-der' | 'ecdsa-p1363' | 'rsa-pkcs1v15';

export interface SignatureAttempt {
  file: string;
  spkiSha256: string;
  algorithm: KeyAlgorithm;
  trust: KeyTrust;
  outcome: 'verified' | 'not-verified' | 'unsupported-key';
}

export interface SignatureResult {
  status: CheckStatus;
  reason: string;
  checkpointFile?: string;
  signatureFile?: string;
  /** the key that verified, when one did */
  verifiedBy?: {
    file: string;
    spkiSha256: string;
    spkiSha256Colon: string;
    algorithm: KeyAlgorithm;
    encoding: SignatureEncoding;
    trust: KeyTrust;
    subject?: string;
  };
  /** true only when a pinned key verified */
  trusted: boolean;
  signatureLength?: number;
  attempts: SignatureAttempt[];
}

export interface SignatureInput {
  checkpointBytes: Buffer;
  /** the `.sig` file content (base64 text, whitespace allowed) */
  signature: Buffer | string;
  keys: CandidateKey[];
  checkpointFile?: string;
  signatureFile?: string;
}

export type DecodedSignature = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/**
 * Strict base64 (standard or URL-safe alphabet, padding optional, whitespace ignored). Node's
 * decoder silently skips junk characters, so the text is checked before it is decoded.
 */
export function decodeSignatureText(signature: Buffer | string): DecodedSignature {
  const text = (typeof signature === 'string' ? signature : signature.toString('utf8')).replace(/\s+/g, '');
  if (text.length === 0) return { ok: false, reason: 'the signature file is empty' };
  const standard = /^[A-Za-z0-9+/]*={0,2}$/.test(text);
  const urlSafe = /^[A-Za-z0-9_-]*={0,2}$/.test(text);
  if (!standard && !urlSafe) {
    const bad = [...text].find((c) => !/[A-Za-z0-9+/_=-]/.test(c));
    return {
      ok: false,
      reason: bad
        ? `the signature is not base64: it contains the character ${JSON.stringify(bad)}`
        : 'the signature is not base64: it mixes the standard and URL-safe alphabets or misplaces "="',
    };
  }
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return { ok: false, reason: 'the signature is not base64: its length is impossible' };
  if (text.includes('=') && text.length % 4 !== 0) {
    return { ok: false, reason: 'the signature is not base64: its "=" padding is wrong' };
  }
  const bytes = Buffer.from(unpadded, standard ? 'base64' : 'base64url');
  return { ok: true, bytes };
}

function tryVerify(data: Buffer, sig: Buffer, key: CandidateKey): SignatureEncoding | undefined | 'unsupported' {
  const attempt = (fn: () => boolean): boolean => {
    try {
      return fn();
    } catch {
      // OpenSSL throws on signatures that cannot even be decoded (bad DER, wrong length): a no.
      return false;
    }
  };
  switch (key.algorithm) {
    case 'ed25519':
      return attempt(() => cryptoVerify(null, data, key.publicKey, sig)) ? 'ed25519' : undefined;
    case 'ecdsa-p256':
      if (attempt(() => cryptoVerify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, sig)))
        return 'ecdsa-der';
      if (
        sig.length === 64 &&
        attempt(() => cryptoVerify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig))
      ) {
        return 'ecdsa-p1363';
      }
      return undefined;
    case 'rsa':
      return attempt(() =>
        cryptoVerify('sha256', data, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig),
      )
        ? 'rsa-pkcs1v15'
        : undefined;
    default:
      return 'unsupported';
  }
}

function describeKey(key: { file: string; spkiSha256Colon?: string; spki?: { colon: string } }): string {
  const fp = key.spkiSha256Colon ?? key.spki?.colon ?? '';
  return `${key.file} (SHA-256 ${fp.slice(0, 23)}...)`;
}

export function verifyCheckpointSignature(input: SignatureInput): SignatureResult {
  const base = { checkpointFile: input.checkpointFile, signatureFile: input.signatureFile };
  const decoded = decodeSignatureText(input.signature);
  if (!decoded.ok)
    return { ...base, status: 'fail', reason: `${capitalise(decoded.reason)}.`, trusted: false, attempts: [] };
  const sig = decoded.bytes;

  if (input.keys.length === 0) {
    return {
      ...base,
      status: 'unverifiable',
      reason: 'No public key was supplied: pin the signing key, or the archive must offer one in keys/.',
      trusted: false,
      signatureLength: sig.length,
      attempts: [],
    };
  }

  // Pinned keys first, so that a key both pinned and shipped is reported as pinned.
  const ordered = [...input.keys].sort((a, b) => Number(b.trust === 'pinned') - Number(a.trust === 'pinned'));
  const attempts: SignatureAttempt[] = [];
  let winner: { key: CandidateKey; encoding: SignatureEncoding } | undefined;
  for (const key of ordered) {
    const r = tryVerify(input.checkpointBytes, sig, key);
    const outcome = r === 'unsupported' ? 'unsupported-key' : r ? 'verified' : 'not-verified';
    attempts.push({ file: key.file, spkiSha256: key.spki.hex, algorithm: key.algorithm, trust: key.trust, outcome });
    if (r && r !== 'unsupported' && !winner) winner = { key, encoding: r };
    if (winner?.key.trust === 'pinned') break;
  }

  const pinnedCount = input.keys.filter((k) => k.trust === 'pinned').length;
  const supported = attempts.filter((a) => a.outcome !== 'unsupported-key').length;

  if (!winner) {
    if (supported === 0) {
      return {
        ...base,
        status: 'unverifiable',
        reason: `None of the ${input.keys.length} candidate keys uses a supported algorithm (Ed25519, ECDSA P-256, RSA).`,
        trusted: false,
        signatureLength: sig.length,
        attempts,
      };
    }
    return {
      ...base,
      status: 'fail',
      reason: `The signature does not verify over the checkpoint bytes with any of the ${supported} candidate key${supported === 1 ? '' : 's'}.`,
      trusted: false,
      signatureLength: sig.length,
      attempts,
    };
  }

  const k = winner.key;
  const verifiedBy = {
    file: k.file,
    spkiSha256: k.spki.hex,
    spkiSha256Colon: k.spki.colon,
    algorithm: k.algorithm,
    encoding: winner.encoding,
    trust: k.trust,
    subject: k.subject,
  };
  if (k.trust === 'pinned') {
    return {
      ...base,
      status: 'pass',
      reason: `The signature verifies with the pinned key ${describeKey(verifiedBy)}.`,
      verifiedBy,
      trusted: true,
      signatureLength: sig.length,
      attempts,
    };
  }
  // A key that travels with the archive can be replaced together with the checkpoints, so it
  // proves consistency, not origin. If the investigator pinned keys and none of them verifies,
  // the checkpoint was not signed by anyone they trust: that is a failure, not a caveat.
  if (pinnedCount > 0) {
    return {
      ...base,
      status: 'fail',
      reason: `None of the ${pinnedCount} pinned key${pinnedCount === 1 ? '' : 's'} verifies the signature; it verifies only with the self-asserted key ${describeKey(verifiedBy)} that the archive supplies itself.`,
      verifiedBy,
      trusted: false,
      signatureLength: sig.length,
      attempts,
    };
  }
  return {
    ...base,
    status: 'warn',
    reason: `The signature verifies only with the self-asserted key ${describeKey(verifiedBy)} that the archive supplies itself; pin it to trust it.`,
    verifiedBy,
    trusted: false,
    signatureLength: sig.length,
    attempts,
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
