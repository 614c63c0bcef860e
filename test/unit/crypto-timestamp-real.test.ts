/**
 * A real TSA's token: GlobalSign's "TSA for Adobe CDS - G2" answered an OpenSSL request on 2017-04-19
 * (test/fixtures/crypto/real-tsa/README.md says where the bytes come from). The TSA certificate expired in
 * 2022; judged at genTime the token must still verify.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { parseKeyMaterial, loadKeyFile, type KeyMaterial } from '../../src/verify/crypto/keys.ts';
import { parseTimeStampResp, verifyTimestamp, type TimestampResult } from '../../src/verify/crypto/timestamp.ts';

const dir = fileURLToPath(new URL('../fixtures/crypto/real-tsa/', import.meta.url));
const token = readFileSync(join(dir, 'globalsign-adobe-cds-g2.tsr'));
const hashedMessage = readFileSync(join(dir, 'hashed-message.bin'));
const data = readFileSync(join(dir, 'data.txt'));
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const GENTIME = '2017-04-19T06:29:53.000Z';
const TSA = 'C=SG, O=GMO GlobalSign Pte Ltd, CN=GlobalSign TSA for Adobe CDS - G2';
const CA = 'C=BE, O=GlobalSign nv-sa, OU=GlobalSign CDS, CN=GlobalSign Primary SHA256 CA for Adobe';

/** The token's own certificate set, DER, as an investigator would export it to pin one of them. */
function tokenCertificates(): Buffer[] {
  const signed = new pkijs.SignedData({ schema: parseTimeStampResp(token).response.timeStampToken!.content });
  return (signed.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => Buffer.from(c.toSchema().toBER(false)));
}

function certificateNamed(subject: string): KeyMaterial[] {
  for (const der of tokenCertificates()) {
    const keys = parseKeyMaterial(der, 'pinned.der').keys;
    if (keys[0].subject?.split('\n').join(', ') === subject || keys[0].subject === subject) return keys;
  }
  throw new Error(`no certificate ${subject} in the token`);
}

const caAnchor = certificateNamed(CA);
const check = (r: TimestampResult, name: string) => r.checks.find((c) => c.name === name);
const flip = (bytes: Buffer, at: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0x01;
  return copy;
};

describe('a real GlobalSign RFC 3161 token (digitorus/timestamp test vector)', () => {
  it('the fixture is what the source says: 3,641 bytes, SHA-256 imprint of data.txt', () => {
    expect(token.length).toBe(3641);
    expect(hashedMessage.toString('hex')).toBe('f487d88164bde223b7fd3c71b3e9c624c8a0cb559c853b49558e7e5ef4ce55f0');
    expect(createHash('sha256').update(data).digest().equals(hashedMessage)).toBe(true);
    expect(tokenCertificates()).toHaveLength(2);
  });

  it('passes every sub-check with the token\'s "GlobalSign Primary SHA256 CA for Adobe" as the anchor', async () => {
    const r = await verifyTimestamp({
      checkpointBytes: data,
      tokenBytes: token,
      tokenFile: 'real.tsr',
      anchors: caAnchor,
    });
    expect(r.status, r.reason).toBe('pass');
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ['response', 'pass'],
      ['imprint', 'pass'],
      ['signature', 'pass'],
      ['signing-certificate', 'pass'],
      ['extended-key-usage', 'pass'],
      ['validity', 'pass'],
      ['chain', 'pass'],
      ['tsa-name', 'pass'],
    ]);
    expect(r.imprint).toMatchObject({ algorithm: 'sha256', value: hashedMessage.toString('hex') });
    expect(r.imprint!.expected).toBe(r.imprint!.value);
    expect(r.genTime).toBe(GENTIME);
    expect(r.tsaSubject).toBe(TSA);
    expect(r.tsaName).toBe(TSA);
    expect(r.policy).toBe('1.3.6.1.4.1.4146.2.1');
    expect(r.serialNumber).toBe('05eeb0c578435ba71790394febb82167b3644ccc');
    expect(r.nonce).toBe('092ef19ffb5d2ae8');
    expect(r.accuracy).toEqual({ seconds: 1 });
    // ESSCertID (v1, SHA-1) names the signer, the EKU is timeStamping only and critical
    expect(check(r, 'signing-certificate')?.reason).toBe(
      'The ESSCertID attribute names the signing certificate (sha1).',
    );
    expect(check(r, 'extended-key-usage')?.reason).toMatch(/time-stamping only \(critical extended key usage\)/);
    expect(r.chain?.map((c) => [c.subject, c.origin, c.validAtGenTime])).toEqual([
      [TSA, 'token', true],
      [CA, 'anchor', true],
    ]);
    expect(r.anchor?.subject).toBe(CA);
    expect(r.anchor?.issuer).toMatch(/CN=Adobe Root CA$/);
  });

  it('validity is judged at genTime: the TSA certificate expired in 2022, the token still verifies', async () => {
    const r = await verifyTimestamp({ checkpointBytes: data, tokenBytes: token, anchors: caAnchor });
    const tsa = r.signerCertificate!;
    expect(tsa.notBefore).toBe('2016-05-24T00:00:00.000Z');
    expect(tsa.notAfter).toBe('2022-05-24T00:00:00.000Z');
    expect(Date.parse(tsa.notAfter)).toBeLessThan(Date.now());
    expect(tsa.validAtGenTime).toBe(true);
    expect(check(r, 'validity')?.reason).toBe(`Every certificate in the chain was valid at genTime ${GENTIME}.`);
    expect(r.revocationChecked).toBe(false);
  });

  it('pinning the TSA certificate itself is accepted too', async () => {
    const r = await verifyTimestamp({ checkpointBytes: data, tokenBytes: token, anchors: certificateNamed(TSA) });
    expect(r.status).toBe('pass');
    expect(check(r, 'chain')?.reason).toMatch(/itself a supplied trust anchor/);
  });

  it('without an anchor: unverifiable, with the signature and imprint still checked', async () => {
    const r = await verifyTimestamp({ checkpointBytes: data, tokenBytes: token });
    expect(r.status).toBe('unverifiable');
    expect(check(r, 'chain')?.status).toBe('unverifiable');
    expect(check(r, 'signature')?.status).toBe('pass');
    expect(check(r, 'imprint')?.status).toBe('pass');
  });

  it('an anchor that is not in its chain fails the chain', async () => {
    const other = loadKeyFile(
      fileURLToPath(new URL('../fixtures/crypto/openssl/other-root.pem', import.meta.url)),
    ).keys;
    const r = await verifyTimestamp({ checkpointBytes: data, tokenBytes: token, anchors: other });
    expect(r.status).toBe('fail');
    expect(check(r, 'chain')?.reason).toMatch(/does not chain to any supplied TSA trust anchor/);
  });

  it('one byte of the signature altered: the signature fails, nothing else', async () => {
    // the SignerInfo's RSA signature is the last 256 bytes of the response
    const r = await verifyTimestamp({
      checkpointBytes: data,
      tokenBytes: flip(token, token.length - 100),
      anchors: caAnchor,
    });
    expect(r.status).toBe('fail');
    expect(check(r, 'signature')).toEqual({
      name: 'signature',
      status: 'fail',
      reason: `The TSA signature does not verify with the certificate ${TSA}.`,
    });
    expect(r.checks.filter((c) => c.status !== 'pass').map((c) => c.name)).toEqual(['signature']);
  });

  it('a different imprint: the token covers other bytes, its signature still verifies', async () => {
    const other = Buffer.from('RhT49MYCgJzWssTF+LXtFZbLD4pe94q4uezLWoTLzyM=\n'.replace('R', 'r'));
    const r = await verifyTimestamp({ checkpointBytes: other, tokenBytes: token, anchors: caAnchor });
    expect(r.status).toBe('fail');
    expect(check(r, 'imprint')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/covers other bytes/) });
    expect(r.imprint).toMatchObject({
      value: hashedMessage.toString('hex'),
      expected: createHash('sha256').update(other).digest('hex'),
    });
    expect(check(r, 'signature')?.status).toBe('pass');
  });

  it('an altered TSTInfo (the imprint inside the token) fails as altered after signing', async () => {
    const at = token.indexOf(hashedMessage);
    expect(at).toBeGreaterThan(0);
    const r = await verifyTimestamp({ checkpointBytes: data, tokenBytes: flip(token, at + 5), anchors: caAnchor });
    expect(r.status).toBe('fail');
    expect(check(r, 'imprint')?.status).toBe('fail');
    expect(check(r, 'signature')?.reason).toMatch(/altered after signing/);
  });

  it.skipIf(!hasOpenssl)('OpenSSL agrees: `openssl ts -verify -partial_chain` with the same anchor', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'real-tsa-'));
    try {
      const body = caAnchor[0].certificateDer!.toString('base64').replace(/.{1,64}/g, '$&\n');
      writeFileSync(join(tmp, 'ca.pem'), `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`);
      const run = (file: string) =>
        spawnSync(
          'openssl',
          [
            'ts',
            '-verify',
            '-data',
            join(dir, 'data.txt'),
            '-in',
            file,
            '-CAfile',
            join(tmp, 'ca.pem'),
            '-partial_chain',
            '-attime',
            String(Date.parse(GENTIME) / 1000),
          ],
          { encoding: 'utf8' },
        );
      const ok = run(join(dir, 'globalsign-adobe-cds-g2.tsr'));
      expect(ok.stdout + ok.stderr).toMatch(/Verification: OK/);
      writeFileSync(join(tmp, 'bad.tsr'), flip(token, token.length - 100));
      expect(run(join(tmp, 'bad.tsr')).status).not.toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('OpenSSL-made tokens: an altered TSTInfo (complements crypto-timestamp.test.ts)', () => {
  const vectors = fileURLToPath(new URL('../fixtures/crypto/openssl/', import.meta.url));
  it('a flipped byte in the TSTInfo serial fails the signature as altered after signing', async () => {
    const t = readFileSync(join(vectors, 'rsa-essv2.tsr'));
    const tst = parseTimeStampResp(t);
    const signed = new pkijs.SignedData({ schema: tst.response.timeStampToken!.content });
    const tstBytes = Buffer.from(signed.encapContentInfo.eContent!.getValue());
    const at = t.indexOf(tstBytes);
    expect(at).toBeGreaterThan(0);
    // TSTInfo: SEQUENCE { version, policy, messageImprint, serialNumber ... }: alter a byte near its end
    const r = await verifyTimestamp({
      checkpointBytes: readFileSync(join(vectors, 'checkpoint.json')),
      tokenBytes: flip(t, at + tstBytes.length - 3),
      anchors: loadKeyFile(join(vectors, 'root.pem')).keys,
    });
    expect(r.status).toBe('fail');
    expect(check(r, 'signature')?.reason).toMatch(/altered after signing/);
  });
});
