/**
 * THE DEMO TIME-STAMPING AUTHORITY. TEST ONLY: NOT A REAL AUTHORITY, AND NOT SECRET.
 *
 * The demo archive (`audit-ws demo`) carries an RFC 3161 token (`.tsr`) beside every checkpoint so
 * that the verification, the dashboard and the report show time-stamps end to end. A real TSA is a
 * network service, and the demo must be byte-for-byte reproducible offline, so the tokens come from
 * this committed test TSA (src/archive/tsa.ts openLocalTsa): its root certificate, its TSA certificate
 * (id-kp-timeStamping, critical) and the TSA's RSA-2048 private key are below, in the open. Anyone can
 * make tokens with this key: a token from it proves nothing about when anything existed. The root's
 * private key was discarded after issuing the TSA certificate.
 *
 * An investigator trusts it the way they trust the demo's signing key: explicitly, as a choice.
 * `audit-ws verify DIR --trust-tsa DIR/keys/tsa-root.pem` (the archive's copy, after comparing its
 * SHA-256 fingerprint with DEMO_TSA_ROOT_SHA256 below and in docs/demo-archive.md) or
 * `--trust-tsa src/demo/demo-tsa-root.pem` (the copy in this repository). Without an anchor the
 * time-stamps are "unverifiable" (trust), never "tampered".
 *
 * Made once with createLocalTsa({ keys: await generateLocalTsaKeys('RSA-2048'), seed: 20260301,
 * notBefore: 2025-01-01T00:00:00Z, notAfter: 2040-12-31T23:59:59Z, rootName, tsaName }).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { openLocalTsa, type LocalTsa } from '../archive/tsa.ts';

/** The demo TSA's root certificate (self-signed): the anchor to supply with --trust-tsa. */
export const DEMO_TSA_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIDTjCCAjigAwIBAgIQLeoAcZelncTy6C2H1vN7kTALBgkqhkiG9w0BAQswQzFB
MD8GA1UEAww4YXVkaXQtd3MgREVNTyBUU0EgUm9vdCAtIFRFU1QgT05MWSwgTk9U
IEEgUkVBTCBBVVRIT1JJVFkwHhcNMjUwMTAxMDAwMDAwWhcNNDAxMjMxMjM1OTU5
WjBDMUEwPwYDVQQDDDhhdWRpdC13cyBERU1PIFRTQSBSb290IC0gVEVTVCBPTkxZ
LCBOT1QgQSBSRUFMIEFVVEhPUklUWTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCC
AQoCggEBALaOY0Bpyl2zfnYO8H9aGQDa1YgESugNxRikcCqT6VGhmKM+SGJMUPZx
9xBus/gftQ4wjcOBGa0klQSaJ5k3e99zORa8OL1XdItqRssTq3e2VSbkXtgQ4K4B
AZ6x9M8uojFjBJhPc57tgM15mLa7vKQ7jAePA/0qv3ANbJbjVCsHPSSitzMdqihs
R8q7xzNf0CJxAy8DKcTURi29FpSGsbItQQuxpSkOTXkerme25auBJ3g4yBbkChDR
4VgDiywB3nuxJnPgSKTWRWpPn8bUrdyeYEwN2BFVlFIk9LBLKyryT9e1B8w/+Gxb
ZByKW6NghlvLbrJ5PNH2XwUiOCKbkZ0CAwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFAKEbYqux/vu0oFNZeYiQbHfnXax
MAsGCSqGSIb3DQEBCwOCAQEALBnjxaO9aBybNno5b9/ZEEFTBTVeiUgXx0+YUeXb
Z/adwMa3yakOXzLvtOSI9t38b/F8Ku6XwCyGDjb0esRIMgerHvtfo6t1ua7wgQlI
mNn49xx3ZN63Qo2XNk6cXIvqgcmpNZw0djiNEY0CAfUVqrAOLKnLZQhZh6p+w1GS
WlI93F3O1tHLvx+b2Onv6Qa7XHg7VMJAL/TguS0amj5biNeXtksZYfqpPb+35MrN
WQKT7rCKKM7ZWpn7RNQQ/gX3H3PqINWebH1GetDq+8JXHbNodQPqhg26LlLcgmDx
W/Kb86K4rZLVhX06mT6DyHo9EUFfSb/jg4QFKByuaJwfXQ==
-----END CERTIFICATE-----
`;

/** The demo TSA's certificate, issued by the root; every demo token carries it. */
export const DEMO_TSA_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDaTCCAlOgAwIBAgIQb0/6uuDHFc2ZZE4Hf7H06TALBgkqhkiG9w0BAQswQzFB
MD8GA1UEAww4YXVkaXQtd3MgREVNTyBUU0EgUm9vdCAtIFRFU1QgT05MWSwgTk9U
IEEgUkVBTCBBVVRIT1JJVFkwHhcNMjUwMTAxMDAwMDAwWhcNNDAxMjMxMjM1OTU5
WjAoMSYwJAYDVQQDDB1hdWRpdC13cyBERU1PIFRTQSAtIFRFU1QgT05MWTCCASIw
DQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMUEx/QlWUvu7AYcUVgnnppPueas
Tm2Uw2Uk1ua16JCcy77ov/bZmybr5QVNe4STzhidgZOp9UClWtUjl4Khh6QTiR4+
Z4RkFXjs8ofoGT1TV9tiJSb77TbXZftxpfsIKQ5oRctMvClX+aj4xCvTcKPVZeNv
X5/srJGzEhNRwbThon4tu4DFCSCYnsYFtELJxCbuDEDKmK+dGWsVFuhYslYYIToO
W25kNdGLmwq8uA62grR7K51vw/oWXUO+PnmR+6PcBXjmRwcOxlNbicCUXMfLoJ+B
/WUsQCDFMWzCsfTcma9la9tvHtKaSvVu0F0MSRD/aeI384NTqsuL/Ou9gcUCAwEA
AaN4MHYwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwFgYDVR0lAQH/BAww
CgYIKwYBBQUHAwgwHQYDVR0OBBYEFCy/sgzK1vTL0JwPKN4shu3Ti3I0MB8GA1Ud
IwQYMBaAFAKEbYqux/vu0oFNZeYiQbHfnXaxMAsGCSqGSIb3DQEBCwOCAQEAUNPD
PaNw9Rkbv7Qw99rmU1fitgZ0U24LHiGya7WHwfdwttYORx1skkwRlQtKVN2H3hvZ
vkRF5C3EMKfQVl3ruRzBuVIZ+odHCLopmUPMvaSwQJrQbx7smtg/jEazbOYGdjs6
0Dm1F1+ILNfCmnsqXlZtSlo/QSDjKQtZ524RNmlPUOGLa0RsR6P70gDrtM5jZAxQ
7BFSj+lYWxK3T5xaYU1JcDnJs8eymlzUCQ0VG4J+ot9dNK+nQnNRj6WXEwvZBi+o
ZQzz9bjxbmEr0fARVhKI2WayfutxGpXC8F0wzr3LDTHc8+h1cZXE8Jmpnsk5h+Qr
nR3/0B8fs6lh4Ye09w==
-----END CERTIFICATE-----
`;

/** TEST-ONLY private key of the demo TSA certificate. Public on purpose: it makes the demo reproducible. */
export const DEMO_TSA_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDFBMf0JVlL7uwG
HFFYJ56aT7nmrE5tlMNlJNbmteiQnMu+6L/22Zsm6+UFTXuEk84YnYGTqfVApVrV
I5eCoYekE4kePmeEZBV47PKH6Bk9U1fbYiUm++0212X7caX7CCkOaEXLTLwpV/mo
+MQr03Cj1WXjb1+f7KyRsxITUcG04aJ+LbuAxQkgmJ7GBbRCycQm7gxAypivnRlr
FRboWLJWGCE6DltuZDXRi5sKvLgOtoK0eyudb8P6Fl1Dvj55kfuj3AV45kcHDsZT
W4nAlFzHy6Cfgf1lLEAgxTFswrH03JmvZWvbbx7Smkr1btBdDEkQ/2niN/ODU6rL
i/zrvYHFAgMBAAECggEAPPvz4NDGyUhVarbNPxpUb7OJ+asQQ78ulFpI4vUf3dOL
BbcJ5KEK84tFQtTvDOSrgNcQSuLq9W25pgv0VA0n7VPWt7PdWw+XzeyaThM77M2l
flTs5xpIHReji6dsFz45ZypDoGBKRgnjT7hhEKfMUAo4FaRd1yTtbdQeHjjKWvCJ
UjMAoeYfHuV/u4KyFnT3C+dZc2P6D8FFknrBdJC9U5lPWy9kte7QJgEQEu4bpNr7
WZziWOYSvtnfpVWoQ3IawWrS+sg7xX2MpP+OpMKljV9iqnCrl60X9pW32sftu6MA
8Wpe0ah04+m8mVbpBQsnCYZAdNUCdniqM1tF8lpGKQKBgQD0XXld4+6KFlAE3RaD
S1zvbdBswpJeOUEYvkMC0NLXK1u8LrWEZF1WfuNJfdhvBn3kX800vnrTK4+68JxJ
6BG9vMsuVy/kQ6BeSgbWGWnzWH3/QLRVClpiNv81oiuZtWOqFz1POdB7nDPja+bn
kHJvsIKnn+D/2d49qHbg7KLz8wKBgQDOZjV6cxU6TSJUsQyzaatNzytv24km2t6s
gYGXhTWfWJZY7F6FJZgL6PdXVIfTyNAM5UvpOCV62lR6TjhFkmeoCfoLYa2e79Xc
FC5ePWxBtU37tATUcWzjzEXdS9ef42QUxCg1t/ck4uBAlGpGLzU4SuRDuNGSeQkx
UfVENQL5ZwKBgAhrWA0mF0fmsOcZ/vaTGCafr/ivU3+vlVCW7ZQhQcJsGgMH0PU4
yAZ85LPZhCV/IcNGkblpfq3b6F3WgGwDdOkGojF8i4ff1JyrDEVAJuhdeinbPttX
Ofn8Txq39aycFUz88/3QziAUJ62EQDZmQasbd8TyuzvVc9TIAyCIxqyFAoGALPHG
zW5H/hUT17tiF6N4AQ6O1+HHYOWiPZBJ5vPD9Hn261A1WOsRy+4kBilLFowQ+e3o
dNWcG791S9jCmivCVK4ve9D+XLC/MhhW7ICVlU1kuN2/e39jhctSn1jHkHKUtYzt
cJ0pvSeGS6nF5pibDzIHuNODF1Ex9kJxlTOx/RsCgYEAvjcy9lxET6ED/DiefmbY
5bAV257B5VCyCjS9tg/whgHZ7gHfU1lPZNzK7hf5nq4s5difxdvxRkRxRkeVtOrB
m4qkeEtE75Y67c3iuOtIAcaEv2Nd9E61N9aivX9T3GN2rlMYGt3eK75oJspGMT0H
rjskM8NEB6WyZwlVAjzu8Xg=
-----END PRIVATE KEY-----
`;

/** Where the demo archive offers its (self-asserted) copy of the root. */
export const DEMO_TSA_ROOT_FILE = 'keys/tsa-root.pem';

/** SHA-256 of the root certificate's DER, lowercase hex (what the dashboard and the report show). */
export const DEMO_TSA_ROOT_SHA256 = createHash('sha256')
  .update(new X509Certificate(DEMO_TSA_ROOT_PEM).raw)
  .digest('hex');

/** The demo TSA, ready to answer (no pkijs, no randomness). */
export function openDemoTsa(): LocalTsa {
  return openLocalTsa({
    rootPem: DEMO_TSA_ROOT_PEM,
    tsaPem: DEMO_TSA_CERT_PEM,
    tsaPrivateKeyPem: DEMO_TSA_KEY_PEM,
  });
}

/**
 * The ArchiveWriter `timestamper` of the demo: genTime is the checkpoint's own `createdAt` and the
 * token serial number the first 16 bytes of the SHA-256 of the checkpoint bytes, so the same
 * checkpoint always gets the same token, whichever thread or order writes it.
 */
export function demoTimestamper(tsa: LocalTsa = openDemoTsa()): (checkpointBytes: Buffer) => Promise<Buffer> {
  return async (checkpointBytes) => {
    const { createdAt } = JSON.parse(checkpointBytes.toString('utf8')) as { createdAt?: unknown };
    const genTime = typeof createdAt === 'string' ? new Date(createdAt) : new Date(NaN);
    if (Number.isNaN(genTime.getTime())) throw new Error('the checkpoint has no valid createdAt to time-stamp it at');
    const serialNumber = createHash('sha256').update(checkpointBytes).digest().subarray(0, 16);
    serialNumber[0] &= 0x7f;
    return tsa.timestamp(checkpointBytes, genTime, { serialNumber });
  };
}
