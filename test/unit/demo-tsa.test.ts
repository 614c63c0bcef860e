import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLocalTsa, generateLocalTsaKeys, openLocalTsa } from '../../src/archive/tsa.ts';
import {
  DEMO_TSA_CERT_PEM,
  DEMO_TSA_KEY_PEM,
  DEMO_TSA_ROOT_PEM,
  DEMO_TSA_ROOT_SHA256,
  demoTimestamper,
  openDemoTsa,
} from '../../src/demo/demo-tsa.ts';
import { parseKeyMaterial } from '../../src/verify/crypto/keys.ts';
import { verifyTimestamp } from '../../src/verify/crypto/timestamp.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const anchor = parseKeyMaterial(Buffer.from(DEMO_TSA_ROOT_PEM), 'demo-tsa-root.pem').keys;
const checkpoint = (createdAt: string, label = '2026-03-01') =>
  Buffer.from(
    `${JSON.stringify({ stream: 'decisions', label, firstSeq: 0, lastSeq: 9, count: 10, createdAt }, null, 2)}\n`,
  );

describe('the committed demo TSA (src/demo/demo-tsa.ts)', () => {
  it('its root file is the constant, byte for byte, with the published fingerprint', () => {
    const file = readFileSync(fileURLToPath(new URL('../../src/demo/demo-tsa-root.pem', import.meta.url)), 'utf8');
    expect(file).toBe(DEMO_TSA_ROOT_PEM);
    const root = new X509Certificate(DEMO_TSA_ROOT_PEM);
    expect(root.fingerprint256).toBe(
      '23:FC:7E:21:D4:94:1F:84:47:F2:E9:F8:DD:85:98:0D:C7:F2:41:28:F4:D3:54:21:69:38:62:AB:33:05:69:A1',
    );
    expect(DEMO_TSA_ROOT_SHA256).toBe(root.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(root.subject).toMatch(/TEST ONLY/);
    expect(root.ca).toBe(true);
  });

  it("the TSA certificate is the root's, holds the committed key, and covers every genTime a demo can have", () => {
    const root = new X509Certificate(DEMO_TSA_ROOT_PEM);
    const tsa = new X509Certificate(DEMO_TSA_CERT_PEM);
    expect(tsa.checkIssued(root) && tsa.verify(root.publicKey)).toBe(true);
    expect(tsa.checkPrivateKey(createPrivateKey(DEMO_TSA_KEY_PEM))).toBe(true);
    expect(tsa.keyUsage).toEqual(['1.3.6.1.5.5.7.3.8']);
    expect(tsa.subject).toBe('CN=audit-ws DEMO TSA - TEST ONLY');
    // earliest checkpoint: lifecycle events from 2026-01-12; latest: 366 days from 2026-03-01, outcomes 30 days later
    expect(Date.parse(tsa.validFrom)).toBeLessThan(Date.parse('2026-01-01T00:00:00Z'));
    expect(Date.parse(tsa.validTo)).toBeGreaterThan(Date.parse('2027-06-01T00:00:00Z'));
  });

  it('a token at genTime = createdAt, serial from the checkpoint hash, valid with the root as anchor', async () => {
    const bytes = checkpoint('2026-03-02T00:05:00Z');
    const stamp = demoTimestamper();
    const token = await stamp(bytes);
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, anchors: anchor });
    expect(r.status, r.reason).toBe('pass');
    expect(r.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(r.genTime).toBe('2026-03-02T00:05:00.000Z');
    const serial = createHash('sha256').update(bytes).digest().subarray(0, 16);
    serial[0] &= 0x7f;
    expect(r.serialNumber).toBe(serial.toString('hex').replace(/^(00)+/, ''));
    expect(r.tsaSubject).toBe('CN=audit-ws DEMO TSA - TEST ONLY');
    expect(r.chain?.map((c) => c.origin)).toEqual(['token', 'anchor']);
  });

  it('is deterministic: the same checkpoint gets the same token from any instance, another checkpoint another serial', async () => {
    const bytes = checkpoint('2026-03-03T00:05:00Z');
    const a = await demoTimestamper()(bytes);
    const b = await demoTimestamper(openDemoTsa())(bytes);
    expect(a.equals(b)).toBe(true);
    const other = await demoTimestamper()(checkpoint('2026-03-03T00:05:00Z', '2026-03-02'));
    const serials = await Promise.all(
      [a, other].map(
        async (t, i) =>
          (
            await verifyTimestamp({
              checkpointBytes: i ? checkpoint('2026-03-03T00:05:00Z', '2026-03-02') : bytes,
              tokenBytes: t,
              anchors: anchor,
            })
          ).serialNumber,
      ),
    );
    expect(serials[0]).not.toBe(serials[1]);
  });

  it('without an anchor: unverifiable, naming the root the archive offers (never trusting it)', async () => {
    const bytes = checkpoint('2026-03-02T00:05:00Z');
    const token = await demoTimestamper()(bytes);
    const offered = parseKeyMaterial(Buffer.from(DEMO_TSA_ROOT_PEM), 'keys/tsa-root.pem').keys;
    const r = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, extraCertificates: offered });
    expect(r.status).toBe('unverifiable');
    expect(r.reason).toBe(
      `No TSA trust anchor supplied, so the TSA certificate cannot be tied to an authority the investigator trusts. The archive's own root keys/tsa-root.pem (SHA-256 ${DEMO_TSA_ROOT_SHA256}) would complete the chain: pass it with --trust-tsa once that fingerprint is confirmed independently.`,
    );
    expect(r.anchor).toBeUndefined();
    // a root that did not issue the TSA certificate is not named
    const other = parseKeyMaterial(
      readFileSync(fileURLToPath(new URL('../fixtures/crypto/openssl/root.pem', import.meta.url))),
      'keys/other.pem',
    ).keys;
    const r2 = await verifyTimestamp({ checkpointBytes: bytes, tokenBytes: token, extraCertificates: other });
    expect(r2.reason).toBe(
      'No TSA trust anchor supplied, so the TSA certificate cannot be tied to an authority the investigator trusts.',
    );
  });

  it('refuses a checkpoint without a createdAt to take genTime from', async () => {
    await expect(demoTimestamper()(Buffer.from('{"stream":"x"}\n'))).rejects.toThrow(/no valid createdAt/);
  });

  it.skipIf(!hasOpenssl)('OpenSSL accepts a demo token with the demo root as CA file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-tsa-'));
    try {
      const bytes = checkpoint('2026-03-04T00:05:00Z');
      writeFileSync(join(dir, 'root.pem'), DEMO_TSA_ROOT_PEM);
      writeFileSync(join(dir, 'cp.json'), bytes);
      writeFileSync(join(dir, 't.tsr'), await demoTimestamper()(bytes));
      const r = spawnSync(
        'openssl',
        ['ts', '-verify', '-data', join(dir, 'cp.json'), '-in', join(dir, 't.tsr'), '-CAfile', join(dir, 'root.pem')],
        { encoding: 'utf8' },
      );
      expect(r.stdout + r.stderr).toMatch(/Verification: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('openLocalTsa (stored certificates)', () => {
  it('answers like the TSA that issued them, and refuses a key or root that does not belong', async () => {
    const validity = { notBefore: new Date('2025-01-01Z'), notAfter: new Date('2030-01-01Z') };
    const keys = await generateLocalTsaKeys('RSA-2048');
    const issued = await createLocalTsa({ ...validity, seed: 3, keys });
    const stored = openLocalTsa({
      rootPem: issued.rootPem,
      tsaPem: issued.tsaPem,
      tsaPrivateKeyPem: keys.tsaPrivateKeyPem,
    });
    expect(stored.algorithm).toBe('RSA-2048');
    expect(stored.tsaPem).toBe(issued.tsaPem);
    const data = Buffer.from('checkpoint bytes\n');
    const when = new Date('2026-05-01T12:00:00.900Z');
    const serialNumber = Buffer.from('0102030405', 'hex');
    const [t1, t2] = await Promise.all([
      issued.timestamp(data, when, { serialNumber }),
      stored.timestamp(data, when, { serialNumber }),
    ]);
    expect(t2.equals(t1)).toBe(true);
    const r = await verifyTimestamp({
      checkpointBytes: data,
      tokenBytes: t2,
      anchors: parseKeyMaterial(Buffer.from(issued.rootPem), 'root.pem').keys,
    });
    expect(r).toMatchObject({ status: 'pass', genTime: '2026-05-01T12:00:00.000Z', serialNumber: '0102030405' });

    expect(() =>
      openLocalTsa({ rootPem: issued.rootPem, tsaPem: issued.tsaPem, tsaPrivateKeyPem: keys.rootPrivateKeyPem }),
    ).toThrow(/does not belong to the TSA certificate/);
    expect(() =>
      openLocalTsa({ rootPem: DEMO_TSA_ROOT_PEM, tsaPem: issued.tsaPem, tsaPrivateKeyPem: keys.tsaPrivateKeyPem }),
    ).toThrow(/not issued by the root/);
  });
});
