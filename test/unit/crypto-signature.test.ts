import { createHash, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditWsError } from '../../src/errors.ts';
import {
  loadArchiveKeys,
  loadKeyFile,
  normalizeFingerprint,
  parseKeyMaterial,
  TrustStore,
  type CandidateKey,
} from '../../src/verify/crypto/keys.ts';
import { decodeSignatureText, verifyCheckpointSignature } from '../../src/verify/crypto/signature.ts';

const example = fileURLToPath(new URL('../fixtures/spec/example/', import.meta.url));
const signingKeyPath = join(example, 'keys/checkpoint-signing.pub.pem');
const tsaPemPath = join(example, 'keys/tsa.pem');

function exampleCheckpoints(): string[] {
  const dir = join(example, 'checkpoints');
  return readdirSync(dir).flatMap((stream) =>
    readdirSync(join(dir, stream))
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, stream, f)),
  );
}

function archiveKeys() {
  const keysDir = join(example, 'keys');
  return loadArchiveKeys(readdirSync(keysDir).map((f) => ({ path: `keys/${f}`, absPath: join(keysDir, f) }))).keys;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-ws-sig-'));
  tempDirs.push(dir);
  return dir;
}

/** A candidate list holding one freshly made key, written to and read back from a real PEM file. */
function candidateFromPem(pem: string, trust: 'pinned' | 'self-asserted' = 'pinned'): CandidateKey[] {
  const file = join(tempDir(), 'key.pem');
  writeFileSync(file, pem);
  return loadKeyFile(file).keys.map((k) => ({ ...k, trust }));
}

describe('checkpoint signatures of the example archive', () => {
  const checkpoints = exampleCheckpoints();
  const store = TrustStore.load({ pins: [signingKeyPath] });
  const candidates = store.signatureCandidates(archiveKeys());

  it('finds every checkpoint with its .sig', () => {
    // The example ships 9 checkpoints (decisions 2, lifecycle 3, outcomes 2, reviews 2).
    expect(checkpoints).toHaveLength(9);
  });

  for (const path of checkpoints) {
    it(`${path.slice(example.length)} verifies with the pinned Ed25519 key`, () => {
      const r = verifyCheckpointSignature({
        checkpointBytes: readFileSync(path),
        signature: readFileSync(`${path}.sig`),
        keys: candidates,
      });
      expect(r.status).toBe('pass');
      expect(r.trusted).toBe(true);
      expect(r.verifiedBy?.trust).toBe('pinned');
      expect(r.verifiedBy?.algorithm).toBe('ed25519');
      expect(r.verifiedBy?.file).toBe(signingKeyPath);
      expect(r.reason).toMatch(/pinned key/);
    });
  }

  const [first] = checkpoints;
  const bytes = readFileSync(first);
  const sigText = readFileSync(`${first}.sig`, 'utf8');

  it('one flipped byte in the checkpoint fails', () => {
    const altered = Buffer.from(bytes);
    altered[20] ^= 0x01;
    const r = verifyCheckpointSignature({ checkpointBytes: altered, signature: sigText, keys: candidates });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/does not verify/);
    expect(r.verifiedBy).toBeUndefined();
    expect(r.attempts.length).toBe(3);
  });

  it('one flipped byte in the signature fails', () => {
    const sig = Buffer.from(sigText.trim(), 'base64');
    sig[10] ^= 0x80;
    const r = verifyCheckpointSignature({
      checkpointBytes: bytes,
      signature: sig.toString('base64'),
      keys: candidates,
    });
    expect(r.status).toBe('fail');
  });

  it('whitespace and line breaks inside the base64 are ignored', () => {
    const wrapped = `  ${sigText.trim().replace(/(.{20})/g, '$1\n')}\r\n\n`;
    expect(verifyCheckpointSignature({ checkpointBytes: bytes, signature: wrapped, keys: candidates }).status).toBe(
      'pass',
    );
  });

  it('the archive key alone is self-asserted: warn, not pass', () => {
    const r = verifyCheckpointSignature({
      checkpointBytes: bytes,
      signature: sigText,
      keys: TrustStore.empty().signatureCandidates(archiveKeys()),
    });
    expect(r.status).toBe('warn');
    expect(r.trusted).toBe(false);
    expect(r.verifiedBy?.trust).toBe('self-asserted');
    expect(r.verifiedBy?.file).toBe('keys/checkpoint-signing.pub.pem');
    expect(r.reason).toMatch(/self-asserted/);
  });

  it('pinning the archive key by fingerprint (hex or colon form) makes it trusted', () => {
    const key = loadKeyFile(signingKeyPath).keys[0];
    for (const pin of [key.spki.hex, key.spki.colon, `SHA256:${key.spki.hex.toUpperCase()}`]) {
      const store = TrustStore.load({ pins: [pin] });
      const r = verifyCheckpointSignature({
        checkpointBytes: bytes,
        signature: sigText,
        keys: store.signatureCandidates(archiveKeys()),
      });
      expect(r.status, pin).toBe('pass');
      expect(r.verifiedBy?.file).toBe('keys/checkpoint-signing.pub.pem');
    }
  });

  it('a pinned key that does not verify, while the archive key does, fails', () => {
    const other = generateKeyPairSync('ed25519');
    const pinned = candidateFromPem(other.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const archive = TrustStore.empty().signatureCandidates(archiveKeys());
    const r = verifyCheckpointSignature({ checkpointBytes: bytes, signature: sigText, keys: [...pinned, ...archive] });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/None of the 1 pinned key verifies/);
    expect(r.verifiedBy?.trust).toBe('self-asserted');
  });

  it('a wrong key fails', () => {
    const other = generateKeyPairSync('ed25519');
    const keys = candidateFromPem(other.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const r = verifyCheckpointSignature({ checkpointBytes: bytes, signature: sigText, keys });
    expect(r.status).toBe('fail');
    expect(r.attempts).toEqual([expect.objectContaining({ outcome: 'not-verified', algorithm: 'ed25519' })]);
  });

  it('no candidate key at all is unverifiable', () => {
    const r = verifyCheckpointSignature({ checkpointBytes: bytes, signature: sigText, keys: [] });
    expect(r.status).toBe('unverifiable');
  });
});

describe('malformed signature text', () => {
  const keys = TrustStore.load({ pins: [signingKeyPath] }).signatureCandidates();
  const cases: [string, string, RegExp][] = [
    ['empty', '  \n', /empty/],
    ['junk character', 'TG6oSp+D4g!nWfLA', /not base64.*"!"/],
    ['misplaced padding', 'TG6o=Sp+', /not base64/],
    ['impossible length', 'TG6oS', /impossible/],
    ['wrong padding', 'TG6oSp=', /padding/],
  ];
  for (const [label, text, reason] of cases) {
    it(`${label} fails with a reason`, () => {
      const r = verifyCheckpointSignature({ checkpointBytes: Buffer.from('x'), signature: text, keys });
      expect(r.status).toBe('fail');
      expect(r.reason).toMatch(reason);
      expect(r.attempts).toEqual([]);
    });
  }
  it('URL-safe base64 without padding decodes to the same bytes', () => {
    const raw = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    const decoded = decodeSignatureText(raw.toString('base64url'));
    expect(decoded.ok && decoded.bytes.equals(raw)).toBe(true);
  });
});

describe('ECDSA P-256 and RSA signatures made in the test', () => {
  const data = Buffer.from('{"stream":"decisions","label":"2026-03-01","count":3}\n');

  it('ECDSA P-256 / SHA-256, DER encoding', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keys = candidateFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    const r = verifyCheckpointSignature({ checkpointBytes: data, signature: sig.toString('base64'), keys });
    expect(r.status).toBe('pass');
    expect(r.verifiedBy?.encoding).toBe('ecdsa-der');
    const altered = Buffer.from(data);
    altered[5] ^= 1;
    expect(
      verifyCheckpointSignature({ checkpointBytes: altered, signature: sig.toString('base64'), keys }).status,
    ).toBe('fail');
  });

  it('ECDSA P-256 / SHA-256, raw r||s (IEEE P1363) encoding', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keys = candidateFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(sig).toHaveLength(64);
    const r = verifyCheckpointSignature({ checkpointBytes: data, signature: sig.toString('base64'), keys });
    expect(r.status).toBe('pass');
    expect(r.verifiedBy?.encoding).toBe('ecdsa-p1363');
    expect(r.verifiedBy?.algorithm).toBe('ecdsa-p256');
  });

  it('RSA PKCS#1 v1.5 / SHA-256, key given as an X.509-less PKCS#1 PEM', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = candidateFromPem(publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    const sig = sign('sha256', data, privateKey);
    const r = verifyCheckpointSignature({ checkpointBytes: data, signature: sig.toString('base64'), keys });
    expect(r.status).toBe('pass');
    expect(r.verifiedBy?.encoding).toBe('rsa-pkcs1v15');
    const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKeys = candidateFromPem(wrong.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    expect(
      verifyCheckpointSignature({ checkpointBytes: data, signature: sig.toString('base64'), keys: wrongKeys }).status,
    ).toBe('fail');
  });

  it('every candidate is tried: the matching key is found after non-matching ones', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ed = generateKeyPairSync('ed25519');
    const keys = [
      ...candidateFromPem(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string),
      ...candidateFromPem(ec.publicKey.export({ type: 'spki', format: 'pem' }) as string),
      ...candidateFromPem(ed.publicKey.export({ type: 'spki', format: 'pem' }) as string),
    ];
    const r = verifyCheckpointSignature({
      checkpointBytes: data,
      signature: sign(null, data, ed.privateKey).toString('base64'),
      keys,
    });
    expect(r.status).toBe('pass');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['not-verified', 'not-verified', 'verified']);
  });

  it('a key of an algorithm the format does not allow (P-384) is unverifiable, not a failure', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const keys = candidateFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const r = verifyCheckpointSignature({
      checkpointBytes: data,
      signature: sign('sha384', data, privateKey).toString('base64'),
      keys,
    });
    expect(r.status).toBe('unverifiable');
    expect(r.attempts[0].outcome).toBe('unsupported-key');
  });
});

describe('keys, fingerprints and the trust store', () => {
  it('SPKI fingerprint is SHA-256 of the DER SubjectPublicKeyInfo inside the PEM', () => {
    const pem = readFileSync(signingKeyPath, 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const expected = createHash('sha256').update(der).digest('hex');
    const [key] = loadKeyFile(signingKeyPath).keys;
    expect(key.spki.hex).toBe(expected);
    expect(key.spki.colon).toBe(expected.toUpperCase().match(/../g)!.join(':'));
    expect(key.kind).toBe('public-key');
  });

  it('certificate fingerprint matches X509Certificate.fingerprint256, and its SPKI matches the key', () => {
    const [cert] = loadKeyFile(tsaPemPath).keys;
    const x509 = new X509Certificate(readFileSync(tsaPemPath));
    expect(cert.kind).toBe('certificate');
    expect(cert.certificateFingerprint?.colon).toBe(x509.fingerprint256);
    expect(cert.spki.hex).toBe(
      createHash('sha256')
        .update(x509.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
    expect(cert.subject).toBe('CN=Ref Test TSA');
  });

  it('reads DER certificates and multi-block PEM files', () => {
    const dir = tempDir();
    const x509 = new X509Certificate(readFileSync(tsaPemPath));
    writeFileSync(join(dir, 'tsa.der'), x509.raw);
    expect(loadKeyFile(join(dir, 'tsa.der')).keys[0].certificateFingerprint?.colon).toBe(x509.fingerprint256);
    writeFileSync(
      join(dir, 'chain.pem'),
      readFileSync(tsaPemPath, 'utf8') + readFileSync(join(example, 'keys/tsa-root.pem'), 'utf8'),
    );
    const keys = loadKeyFile(join(dir, 'chain.pem')).keys;
    expect(keys.map((k) => [k.index, k.subject])).toEqual([
      [0, 'CN=Ref Test TSA'],
      [1, 'CN=Ref Test TSA Root'],
    ]);
  });

  it('a private key is reduced to its public half, with a warning', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const r = parseKeyMaterial(
      Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      'keys/oops.pem',
    );
    expect(r.keys[0].spki.hex).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
    expect(r.warnings[0]).toMatch(/keys\/oops\.pem: .*PRIVATE key/);
  });

  it('an unreadable key file throws UNREADABLE_INPUT naming the file', () => {
    const file = join(tempDir(), 'garbage.pem');
    writeFileSync(file, 'this is not a key\n');
    expect(() => loadKeyFile(file, 'keys/garbage.pem')).toThrow(AuditWsError);
    try {
      loadKeyFile(file, 'keys/garbage.pem');
    } catch (err) {
      expect((err as AuditWsError).code).toBe('UNREADABLE_INPUT');
      expect((err as AuditWsError).message).toMatch(/^keys\/garbage\.pem: /);
      expect((err as AuditWsError).details.file).toBe('keys/garbage.pem');
    }
    const broken = join(tempDir(), 'broken.pem');
    writeFileSync(broken, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    expect(() => loadKeyFile(broken)).toThrow(/broken\.pem: holds no readable public key/);
  });

  it('archive keys: one bad file becomes a warning, the rest still load', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.pem'), 'nope');
    const r = loadArchiveKeys([
      { path: 'keys/bad.pem', absPath: join(dir, 'bad.pem') },
      { path: 'keys/checkpoint-signing.pub.pem', absPath: signingKeyPath },
    ]);
    expect(r.keys).toHaveLength(1);
    expect(r.warnings).toEqual([expect.stringMatching(/^keys\/bad\.pem: /)]);
  });

  it('pins must be key files or fingerprints; TSA anchors must be certificates', () => {
    expect(() => TrustStore.load({ pins: ['no-such-file.pem'] })).toThrow(/no-such-file\.pem: a pinned key must be/);
    expect(() => TrustStore.load({ tsaAnchors: [signingKeyPath] })).toThrow(/must be an X\.509 certificate/);
    expect(() => TrustStore.load({ tsaAnchors: ['missing-root.pem'] })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(normalizeFingerprint('ab'.repeat(31))).toBeUndefined();
    expect(normalizeFingerprint(` sha-256:${'AB:'.repeat(31)}AB `)).toBe('ab'.repeat(32));
  });

  it('a certificate pinned by its certificate fingerprint is trusted; the same key shipped twice appears once', () => {
    const [cert] = loadKeyFile(tsaPemPath, 'keys/tsa.pem').keys;
    const store = TrustStore.load({ pins: [cert.certificateFingerprint!.hex] });
    expect(store.trustOf(cert)).toBe('pinned');
    expect(store.unmatchedFingerprints([cert])).toEqual([]);
    expect(TrustStore.load({ pins: ['0'.repeat(64)] }).unmatchedFingerprints([cert])).toEqual(['0'.repeat(64)]);
    const pinnedByFile = TrustStore.load({ pins: [signingKeyPath] });
    const candidates = pinnedByFile.signatureCandidates(archiveKeys());
    expect(candidates.filter((k) => k.algorithm === 'ed25519')).toEqual([
      expect.objectContaining({ file: signingKeyPath, trust: 'pinned' }),
    ]);
  });
});
