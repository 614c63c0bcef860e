import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createLocalTsa, generateLocalTsaKeys, type LocalTsa, type LocalTsaOptions } from '../../src/archive/tsa.ts';
import { AuditWsError } from '../../src/errors.ts';
import { loadKeyFile, parseKeyMaterial, type KeyMaterial } from '../../src/verify/crypto/keys.ts';
import { verifyTimestamp, type TimestampResult } from '../../src/verify/crypto/timestamp.ts';

const example = fileURLToPath(new URL('../fixtures/spec/example/', import.meta.url));
const vectors = fileURLToPath(new URL('../fixtures/crypto/openssl/', import.meta.url));
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const exampleAnchor = loadKeyFile(join(example, 'keys/tsa-root.pem')).keys;
const exampleExtra = loadKeyFile(join(example, 'keys/tsa.pem'), 'keys/tsa.pem').keys;
const opensslRoot = loadKeyFile(join(vectors, 'root.pem')).keys;
const otherRoot = loadKeyFile(join(vectors, 'other-root.pem')).keys;
const opensslData = readFileSync(join(vectors, 'checkpoint.json'));

function check(r: TimestampResult, name: string) {
  return r.checks.find((c) => c.name === name);
}

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0x01;
  return copy;
}

function pemKeys(pem: string, file: string): KeyMaterial[] {
  return parseKeyMaterial(Buffer.from(pem), file).keys;
}

describe('RFC 3161 tokens of the example archive', () => {
  const dir = join(example, 'checkpoints');
  const checkpoints = readdirSync(dir).flatMap((s) =>
    readdirSync(join(dir, s))
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, s, f)),
  );

  it('every .tsr passes with tsa-root.pem as anchor and reports genTime', async () => {
    expect(checkpoints).toHaveLength(9);
    for (const path of checkpoints) {
      const r = await verifyTimestamp({
        checkpointBytes: readFileSync(path),
        tokenBytes: readFileSync(`${path}.tsr`),
        tokenFile: `${path}.tsr`,
        anchors: exampleAnchor,
        extraCertificates: exampleExtra,
      });
      expect(r.status, `${path}: ${r.reason}`).toBe('pass');
      expect(r.genTime).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(r.checks.map((c) => c.status)).toEqual(r.checks.map(() => 'pass'));
    }
  });

  const path = join(dir, 'decisions/2026-03-01.json');
  const bytes = readFileSync(path);
  const token = readFileSync(`${path}.tsr`);

  it('reports the TSTInfo facts, the TSA subject and the chain', async () => {
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, anchors: exampleAnchor });
    expect(r.status).toBe('pass');
    expect(r.genTime).toBe('2026-03-02T00:04:59.000Z');
    expect(r.tsaSubject).toBe('CN=Ref Test TSA');
    expect(r.tsaName).toBe('CN=Ref Test TSA');
    expect(r.serialNumber).toBe('17');
    expect(r.policy).toBe('1.2.3.4.1');
    expect(r.nonce).toBe('482cdc74fd658bef');
    expect(r.imprint).toEqual(
      expect.objectContaining({
        algorithm: 'sha256',
        value: '370eecfd9bd4a22f4d6232fa507f5ef33f959db0e759d6f6096d077f5c84a60a',
      }),
    );
    expect(r.chain?.map((c) => [c.subject, c.origin, c.validAtGenTime])).toEqual([
      ['CN=Ref Test TSA', 'token', true],
      ['CN=Ref Test TSA Root', 'anchor', true],
    ]);
    expect(r.revocationChecked).toBe(false);
  });

  it('an altered checkpoint byte fails the imprint', async () => {
    const r = await verifyTimestamp({ checkpointBytes: flip(bytes, 30), tokenBytes: token, anchors: exampleAnchor });
    expect(r.status).toBe('fail');
    expect(check(r, 'imprint')?.status).toBe('fail');
    expect(r.reason).toMatch(/imprint is not the SHA256 of the checkpoint file/);
    expect(check(r, 'signature')?.status).toBe('pass');
  });

  it('an altered byte in the signature fails', async () => {
    // The SignerInfo signature is the last element of this token.
    const r = await verifyTimestamp({
      checkpointBytes: bytes,
      tokenBytes: flip(token, token.length - 5),
      anchors: exampleAnchor,
    });
    expect(r.status).toBe('fail');
    expect(check(r, 'signature')).toEqual(
      expect.objectContaining({ status: 'fail', reason: expect.stringMatching(/does not verify/) }),
    );
  });

  it('an altered byte in the TSTInfo (genTime) fails', async () => {
    const at = token.indexOf('20260302000459Z') + 11; // the minutes' last digit: 04 -> 05
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: flip(token, at), anchors: exampleAnchor });
    expect(r.status).toBe('fail');
    expect(r.genTime).toBe('2026-03-02T00:05:59.000Z');
    expect(check(r, 'signature')?.reason).toMatch(/altered after signing/);
  });

  it('no anchor: unverifiable, everything else still checked', async () => {
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token });
    expect(r.status).toBe('unverifiable');
    expect(r.reason).toMatch(/no TSA trust anchor supplied/i);
    expect(check(r, 'signature')?.status).toBe('pass');
    expect(check(r, 'imprint')?.status).toBe('pass');
  });

  it('no anchor does not hide a failure', async () => {
    const r = await verifyTimestamp({ checkpointBytes: flip(bytes, 0), tokenBytes: token });
    expect(r.status).toBe('fail');
  });

  it('a wrong anchor fails the chain', async () => {
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, anchors: otherRoot });
    expect(r.status).toBe('fail');
    expect(check(r, 'chain')?.reason).toMatch(/does not chain to any supplied TSA trust anchor \(CN=Some Other Root\)/);
  });

  it('a self-asserted root shipped in the archive is not an anchor', async () => {
    const archiveRoot = loadKeyFile(join(example, 'keys/tsa-root.pem'), 'keys/tsa-root.pem').keys;
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, extraCertificates: archiveRoot });
    expect(r.status).toBe('unverifiable');
  });

  it('unreadable tokens throw UNREADABLE_INPUT naming the file', async () => {
    for (const bad of [Buffer.from('not a token'), token.subarray(0, 200), Buffer.alloc(0)]) {
      const err = await verifyTimestamp({
        checkpointBytes: bytes,
        tokenBytes: bad,
        tokenFile: 'checkpoints/x.json.tsr',
      }).catch((e) => e);
      expect(err).toBeInstanceOf(AuditWsError);
      expect(err.code).toBe('UNREADABLE_INPUT');
      expect(err.message).toMatch(/^checkpoints\/x\.json\.tsr: /);
    }
  });

  it('trailing bytes after the response are a warning', async () => {
    const r = await verifyTimestamp({
      checkpointBytes: bytes,
      tokenBytes: Buffer.concat([token, Buffer.from('\n')]),
      anchors: exampleAnchor,
    });
    expect(r.status).toBe('warn');
    expect(check(r, 'response')?.reason).toMatch(/1 bytes follow/);
  });

  it('a response whose PKIStatus is rejection fails', async () => {
    const rejected = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.rejection }),
    });
    const r = await verifyTimestamp({
      checkpointBytes: bytes,
      tokenBytes: Buffer.from(rejected.toSchema().toBER()),
      anchors: exampleAnchor,
    });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/did not grant.*rejection/);
  });
});

describe('OpenSSL-made tokens (test/fixtures/crypto/openssl, see make-openssl-tsa.sh)', () => {
  const verify = (name: string, opts: { anchors?: KeyMaterial[]; extra?: KeyMaterial[]; data?: Buffer } = {}) =>
    verifyTimestamp({
      checkpointBytes: opts.data ?? opensslData,
      tokenBytes: readFileSync(join(vectors, `${name}.tsr`)),
      tokenFile: `${name}.tsr`,
      anchors: opts.anchors ?? opensslRoot,
      extraCertificates: opts.extra,
    });

  for (const [name, subject, essLabel] of [
    ['rsa-essv2', 'CN=OpenSSL Test TSA RSA', 'ESSCertIDv2'],
    ['rsa-essv1', 'CN=OpenSSL Test TSA RSA', 'ESSCertID'],
    ['ec-chain', 'CN=OpenSSL Test TSA EC', 'ESSCertIDv2'],
  ]) {
    it(`${name} passes`, async () => {
      const r = await verify(name);
      expect(r.status, r.reason).toBe('pass');
      expect(r.tsaSubject).toBe(subject);
      expect(check(r, 'signing-certificate')?.reason).toContain(`The ${essLabel} attribute`);
      expect(r.chain?.at(-1)?.subject).toBe('CN=OpenSSL Test TSA Root');
    });
  }

  it('the EC token builds its chain through the intermediate carried in the token', async () => {
    const r = await verify('ec-chain');
    expect(r.chain?.map((c) => c.subject)).toEqual([
      'CN=OpenSSL Test TSA EC',
      'CN=OpenSSL Test TSA Intermediate',
      'CN=OpenSSL Test TSA Root',
    ]);
  });

  it('altered data and an altered signature fail', async () => {
    expect((await verify('rsa-essv2', { data: flip(opensslData, 3) })).status).toBe('fail');
    const token = readFileSync(join(vectors, 'ec-chain.tsr'));
    const r = await verifyTimestamp({
      checkpointBytes: opensslData,
      tokenBytes: flip(token, token.length - 3),
      anchors: opensslRoot,
    });
    expect(r.status).toBe('fail');
    expect(check(r, 'signature')?.status).toBe('fail');
  });

  it('a token without certificates needs the archive to offer the TSA certificate', async () => {
    const without = await verify('rsa-nocerts');
    expect(without.status).toBe('unverifiable');
    expect(without.reason).toMatch(/not in the token, the archive's keys, or the supplied anchors/);
    const withExtra = await verify('rsa-nocerts', {
      extra: loadKeyFile(join(vectors, 'tsa-rsa.pem'), 'keys/tsa.pem').keys,
    });
    expect(withExtra.status).toBe('pass');
    expect(withExtra.signerCertificate?.origin).toBe('archive');
  });

  it('a TSA certificate expired at genTime fails, with or without an anchor', async () => {
    for (const anchors of [opensslRoot, []]) {
      const r = await verify('expired', { anchors });
      expect(r.status).toBe('fail');
      expect(check(r, 'validity')?.reason).toMatch(
        /TSA certificate CN=OpenSSL Test TSA Expired had expired \(on 2021-01-01T00:00:00\.000Z\) at genTime/,
      );
    }
  });

  it('a wrong anchor fails', async () => {
    const r = await verify('rsa-essv2', { anchors: otherRoot });
    expect(r.status).toBe('fail');
    expect(check(r, 'chain')?.status).toBe('fail');
  });
});

describe('local test TSA (src/archive/tsa.ts)', () => {
  const data = Buffer.from('{"stream":"decisions","label":"2026-03-01"}\n');
  const genTime = new Date('2026-03-01T23:59:59.750Z');
  const validity = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z') };
  let tsa: LocalTsa;
  let token: Buffer;

  beforeAll(async () => {
    tsa = await createLocalTsa({ ...validity, seed: 1 });
    token = await tsa.timestamp(data, genTime);
  });

  const verifyWith = (t: LocalTsa, tok: Buffer, extra: KeyMaterial[] = []) =>
    verifyTimestamp({
      checkpointBytes: data,
      tokenBytes: tok,
      anchors: pemKeys(t.rootPem, 'root.pem'),
      extraCertificates: extra,
    });

  it('its tokens pass timestamp.ts, with genTime truncated to the second', async () => {
    const r = await verifyWith(tsa, token);
    expect(r.status, r.reason).toBe('pass');
    expect(r.genTime).toBe('2026-03-01T23:59:59.000Z');
    expect(r.tsaSubject).toBe('CN=Audit Workstation Local Test TSA');
    expect(check(r, 'signing-certificate')?.reason).toMatch(/ESSCertIDv2/);
    expect(check(r, 'tsa-name')?.status).toBe('pass');
  });

  it.skipIf(!hasOpenssl)('its tokens pass `openssl ts -verify` (skipped when openssl is absent)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-ws-tsa-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'root.pem'), tsa.rootPem);
    writeFileSync(join(dir, 'data.json'), data);
    writeFileSync(join(dir, 'token.tsr'), token);
    const ok = spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-data',
        join(dir, 'data.json'),
        '-in',
        join(dir, 'token.tsr'),
        '-CAfile',
        join(dir, 'root.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(ok.stdout + ok.stderr).toMatch(/Verification: OK/);
    expect(ok.status).toBe(0);
    writeFileSync(join(dir, 'data.json'), flip(data, 2));
    const bad = spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-data',
        join(dir, 'data.json'),
        '-in',
        join(dir, 'token.tsr'),
        '-CAfile',
        join(dir, 'root.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(bad.status).not.toBe(0);
  });

  it('a token over other bytes fails the imprint', async () => {
    const r = await verifyTimestamp({
      checkpointBytes: flip(data, 0),
      tokenBytes: token,
      anchors: pemKeys(tsa.rootPem, 'root.pem'),
    });
    expect(check(r, 'imprint')?.status).toBe('fail');
  });

  it('a genTime after the certificate expired fails', async () => {
    const short = await createLocalTsa({ notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') });
    const r = await verifyWith(short, await short.timestamp(data, genTime));
    expect(r.status).toBe('fail');
    expect(check(r, 'validity')?.reason).toMatch(
      /had expired \(on 2021-01-01T00:00:00\.000Z\) at genTime 2026-03-01T23:59:59\.000Z/,
    );
    expect(check(r, 'chain')?.reason).toMatch(/not valid at genTime/);
  });

  it('a genTime before the certificate was valid fails', async () => {
    const r = await verifyWith(tsa, await tsa.timestamp(data, new Date('2024-06-01T00:00:00Z')));
    expect(check(r, 'validity')?.reason).toMatch(/was not yet valid/);
  });

  it('extended key usage: not critical fails, missing timeStamping fails, extra purposes warn', async () => {
    const cases: [LocalTsaOptions['testProfile'], string, RegExp][] = [
      [{ ekuCritical: false }, 'fail', /not critical/],
      [{ ekuPurposes: ['1.3.6.1.5.5.7.3.3'] }, 'fail', /not issued for time-stamping/],
      [{ ekuPurposes: ['1.3.6.1.5.5.7.3.8', '1.3.6.1.5.5.7.3.3'] }, 'warn', /other purposes/],
    ];
    for (const [testProfile, status, reason] of cases) {
      const t = await createLocalTsa({ ...validity, testProfile });
      const r = await verifyWith(t, await t.timestamp(data, genTime));
      expect(check(r, 'extended-key-usage')?.status).toBe(status);
      expect(check(r, 'extended-key-usage')?.reason).toMatch(reason);
      expect(r.status).toBe(status);
    }
  });

  it('a token without the signing-certificate attribute is a warning', async () => {
    const t = await createLocalTsa({ ...validity, testProfile: { signingCertificateAttribute: false } });
    const r = await verifyWith(t, await t.timestamp(data, genTime));
    expect(r.status).toBe('warn');
    expect(check(r, 'signing-certificate')?.reason).toMatch(/does not name its signing certificate/);
  });

  it('a token signed by a different TSA under the same names fails the signature', async () => {
    // Same subject/issuer names and serials (same seed), different keys: an impostor certificate.
    const impostor = await createLocalTsa({ ...validity, seed: 1, testProfile: { includeCertificates: false } });
    const forged = await impostor.timestamp(data, genTime);
    const r = await verifyWith(tsa, forged, pemKeys(tsa.tsaPem, 'keys/tsa.pem'));
    expect(r.status).toBe('fail');
    expect(check(r, 'signature')?.status).toBe('fail');
    expect(check(r, 'signing-certificate')?.status).toBe('fail');
  });

  it('a signer named by subjectKeyIdentifier is found and verified', async () => {
    const t = await createLocalTsa({ ...validity, testProfile: { signerBySubjectKeyId: true } });
    const r = await verifyWith(t, await t.timestamp(data, genTime));
    expect(r.status, r.reason).toBe('pass');
    expect(r.tsaSubject).toBe('CN=Audit Workstation Local Test TSA');
  });

  it('pinning the TSA certificate itself as the anchor is accepted', async () => {
    const r = await verifyTimestamp({
      checkpointBytes: data,
      tokenBytes: token,
      anchors: pemKeys(tsa.tsaPem, 'tsa.pem'),
    });
    expect(r.status).toBe('pass');
    expect(check(r, 'chain')?.reason).toMatch(/itself a supplied trust anchor/);
  });

  it('with RSA keys passed in and a seed, certificates and tokens are byte-for-byte reproducible', async () => {
    const keys = await generateLocalTsaKeys('RSA-2048');
    const a = await createLocalTsa({ ...validity, seed: 42, keys });
    const b = await createLocalTsa({ ...validity, seed: 42, keys });
    expect(a.algorithm).toBe('RSA-2048');
    expect(b.rootPem).toBe(a.rootPem);
    expect(b.tsaPem).toBe(a.tsaPem);
    const ta = await a.timestamp(data, genTime);
    expect((await b.timestamp(data, genTime)).equals(ta)).toBe(true);
    expect((await verifyWith(a, ta)).status).toBe('pass');
  });
});
