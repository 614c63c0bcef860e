import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  randomBytes,
  sign as cryptoSign,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import type * as Asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';

/**
 * A local, offline RFC 3161 time-stamping authority for the demo generator and for tests. It is a
 * TEST authority: its root is made on the spot (or, for the demo, committed to the repository), so its
 * tokens prove nothing to anyone who has not chosen to trust that root. It issues a self-signed root and
 * a TSA certificate (extended key usage id-kp-timeStamping, critical) and answers with DER
 * TimeStampResp tokens that carry the TSA certificate and a signing-certificate-v2 attribute, as
 * RFC 3161 / RFC 5816 ask.
 *
 * Tokens are encoded directly in DER and signed with node:crypto (about 1 ms each with RSA-2048);
 * pkijs is loaded only to issue certificates (createLocalTsa), never by openLocalTsa, which reuses
 * stored ones.
 *
 * Determinism: by default keys are fresh ECDSA P-256 keys. Pass `keys` (PKCS#8 PEM) to reuse keys;
 * with RSA keys and a `seed`, every byte (certificates and tokens) is reproducible, because RSA
 * PKCS#1 v1.5 signatures are deterministic. ECDSA signatures are randomised, so with ECDSA keys only
 * the key fingerprints and token contents repeat, not the signature bytes.
 */

export type LocalTsaAlgorithm = 'ECDSA-P256' | 'RSA-2048';

export interface LocalTsaOptions {
  /** makes certificate and token serial numbers reproducible */
  seed?: number;
  notBefore: Date;
  notAfter: Date;
  /** for fresh keys; ignored when `keys` is given. Default ECDSA-P256 (fast to generate). */
  algorithm?: LocalTsaAlgorithm;
  /** PKCS#8 (or traditional) PEM private keys, both ECDSA P-256 or RSA */
  keys?: { rootPrivateKeyPem: string; tsaPrivateKeyPem: string };
  /** subject common names */
  rootName?: string;
  tsaName?: string;
  /** TSA policy OID written into every token (default 1.2.3.4.1, the OpenSSL example policy) */
  policy?: string;
  /**
   * Deliberately broken profiles for negative tests only. A real TSA never does these.
   */
  testProfile?: TestProfile;
}

interface TestProfile {
  ekuCritical?: boolean;
  ekuPurposes?: string[];
  includeCertificates?: boolean;
  signingCertificateAttribute?: boolean;
  /** name the signer by subjectKeyIdentifier instead of issuer and serial number */
  signerBySubjectKeyId?: boolean;
}

/** A TSA whose certificates were issued earlier and stored (the demo's, src/demo/demo-tsa.ts). */
export interface StoredTsaOptions {
  /** PEM certificate of the root (the anchor an investigator supplies with --trust-tsa) */
  rootPem: string;
  /** PEM certificate of the TSA, issued by the root, with id-kp-timeStamping */
  tsaPem: string;
  /** PEM private key of the TSA certificate (RSA or ECDSA P-256) */
  tsaPrivateKeyPem: string;
  policy?: string;
}

export interface TimestampOptions {
  /** the token's serial number as unsigned big-endian bytes (default: from the seed and a counter) */
  serialNumber?: Uint8Array;
}

export interface LocalTsa {
  algorithm: LocalTsaAlgorithm;
  rootPem: string;
  tsaPem: string;
  /**
   * A DER TimeStampResp over SHA-256(bytes) at genTime (truncated to whole seconds so the
   * GeneralizedTime has no fraction). It does not refuse a genTime outside the certificate's
   * validity: tests use that to make tokens a verifier must reject.
   */
  timestamp(bytes: Buffer, genTime: Date, options?: TimestampOptions): Promise<Buffer>;
}

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

// --- DER, just what a TimeStampResp needs -----------------------------------------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
/** A SET OF in DER: members ordered by their encodings. */
const setOf = (...members: Buffer[]): Buffer => tlv(0x31, ...[...members].sort(Buffer.compare));
const octets = (bytes: Uint8Array): Buffer => tlv(0x04, Buffer.from(bytes));
const NULL = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const base128 = (v: number): void => {
    const digits = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) digits.unshift(0x80 | (v & 0x7f));
    out.push(...digits);
  };
  base128(arcs[0] * 40 + arcs[1]);
  for (const arc of arcs.slice(2)) base128(arc);
  return tlv(0x06, Buffer.from(out));
}

/** INTEGER from an unsigned big-endian magnitude, or a non-negative safe integer. */
function integer(value: Uint8Array | number): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    const hex = value.toString(16);
    bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  } else bytes = Buffer.from(value);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  return tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function generalizedTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:T]/g, '');
  return tlv(0x18, Buffer.from(text, 'ascii'));
}

interface Tlv {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the content */
  body: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i];
    body += n;
  }
  if (tag === undefined || body + len > buf.length) throw new Error('truncated DER');
  return { tag, start: at, body, end: body + len };
}

function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end;) {
    const t = readTlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** What a token needs of the TSA certificate: its bytes, names, serial and key identifier. */
interface TsaIdentity {
  certDer: Buffer;
  /** full DER (tag included) of the issuer Name, subject Name and serialNumber INTEGER */
  issuer: Buffer;
  subject: Buffer;
  serial: Buffer;
  /** SHA-1 of the subjectPublicKey bits (RFC 5280 method 1), as the certificates issued here use */
  keyId: Buffer;
  key: KeyObject;
  algorithm: LocalTsaAlgorithm;
}

function identityOf(certDer: Buffer, key: KeyObject): TsaIdentity {
  const cert = readTlv(certDer, 0);
  const tbs = childrenOf(certDer, cert)[0];
  const fields = childrenOf(certDer, tbs);
  const f = fields[0].tag === 0xa0 ? fields.slice(1) : fields; // [0] version is optional
  const [serial, , issuer, , subject, spki] = f;
  const bits = childrenOf(certDer, spki)[1];
  const slice = (t: Tlv) => certDer.subarray(t.start, t.end);
  return {
    certDer,
    issuer: slice(issuer),
    subject: slice(subject),
    serial: slice(serial),
    keyId: createHash('sha1')
      .update(certDer.subarray(bits.body + 1, bits.end))
      .digest(),
    key,
    algorithm: algorithmOf(key),
  };
}

function algorithmOf(key: KeyObject): LocalTsaAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RSA-2048';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ECDSA-P256';
  throw new Error(`local TSA keys must be RSA or ECDSA P-256, not ${key.asymmetricKeyType}`);
}

const REQUIRED_PROFILE: Required<Pick<TestProfile, 'includeCertificates' | 'signingCertificateAttribute'>> &
  Pick<TestProfile, 'signerBySubjectKeyId'> = {
  includeCertificates: true,
  signingCertificateAttribute: true,
  signerBySubjectKeyId: false,
};

function buildToken(
  id: TsaIdentity,
  profile: typeof REQUIRED_PROFILE,
  policy: string,
  bytes: Buffer,
  genTime: Date,
  serialNumber: Uint8Array | number,
): Buffer {
  const when = new Date(Math.floor(genTime.getTime() / 1000) * 1000);
  const sha256 = seq(oid(OID.sha256), NULL);
  const tstInfo = seq(
    integer(1),
    oid(policy),
    seq(sha256, octets(createHash('sha256').update(bytes).digest())),
    integer(serialNumber),
    generalizedTime(when),
    seq(integer(1)), // accuracy: 1 second
    tlv(0xa0, tlv(0xa4, id.subject)), // tsa [0] GeneralName, directoryName [4]
  );
  const attributes = [
    seq(oid(OID.contentType), setOf(oid(OID.tstInfo))),
    seq(oid(OID.messageDigest), setOf(octets(createHash('sha256').update(tstInfo).digest()))),
  ];
  if (profile.signingCertificateAttribute) {
    // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { certHash, issuerSerial } }, hash
    // algorithm left out because SHA-256 is its DEFAULT.
    const issuerSerial = seq(seq(tlv(0xa4, id.issuer)), id.serial);
    const essCertIdV2 = seq(octets(createHash('sha256').update(id.certDer).digest()), issuerSerial);
    attributes.push(seq(oid(OID.signingCertificateV2), setOf(seq(seq(essCertIdV2)))));
  }
  // The signature covers the DER SET OF the attributes; the SignerInfo carries the same content under [0].
  const signedAttrs = setOf(...attributes);
  const signature = cryptoSign('sha256', signedAttrs, id.key);
  const signerInfo = seq(
    // RFC 5652: version 1 with issuerAndSerialNumber, 3 with [0] subjectKeyIdentifier.
    integer(profile.signerBySubjectKeyId ? 3 : 1),
    profile.signerBySubjectKeyId ? tlv(0x80, id.keyId) : seq(id.issuer, id.serial),
    sha256,
    Buffer.concat([Buffer.from([0xa0]), signedAttrs.subarray(1)]),
    id.algorithm === 'RSA-2048' ? seq(oid(OID.sha256WithRsa), NULL) : seq(oid(OID.ecdsaWithSha256)),
    octets(signature),
  );
  const signedData = seq(
    integer(3),
    setOf(sha256),
    seq(oid(OID.tstInfo), tlv(0xa0, octets(tstInfo))),
    ...(profile.includeCertificates ? [tlv(0xa0, id.certDer)] : []),
    setOf(signerInfo),
  );
  const token = seq(oid(OID.signedData), tlv(0xa0, signedData));
  return seq(seq(integer(0)), token); // PKIStatusInfo { granted }, timeStampToken
}

/** Token serial numbers: from the seed and a counter when no serial is given. */
function tokenSerials(seed: number | undefined): () => number {
  let counter = 0;
  const base =
    createHash('sha256')
      .update(`${seed ?? randomBytes(8).toString('hex')}:tokens`)
      .digest()
      .readUInt32BE(0) >>> 8;
  return () => base + ++counter;
}

function pem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/**
 * A TSA from stored certificates and the TSA's private key; synchronous and without pkijs. The TSA
 * certificate must be issued by the root and hold the public half of the key.
 */
export function openLocalTsa(options: StoredTsaOptions): LocalTsa {
  const root = new X509Certificate(options.rootPem);
  const tsa = new X509Certificate(options.tsaPem);
  const key = createPrivateKey(options.tsaPrivateKeyPem);
  if (!tsa.checkPrivateKey(key)) throw new Error('the TSA private key does not belong to the TSA certificate');
  if (!tsa.checkIssued(root) || !tsa.verify(root.publicKey))
    throw new Error('the TSA certificate was not issued by the root certificate');
  const id = identityOf(tsa.raw, key);
  const policy = options.policy ?? '1.2.3.4.1';
  const nextSerial = tokenSerials(0);
  return {
    algorithm: id.algorithm,
    rootPem: pem('CERTIFICATE', root.raw),
    tsaPem: pem('CERTIFICATE', tsa.raw),
    timestamp: async (bytes, genTime, o = {}) =>
      buildToken(id, REQUIRED_PROFILE, policy, bytes, genTime, o.serialNumber ?? nextSerial()),
  };
}

// --- issuing certificates (pkijs, loaded on first use) ----------------------------------------------

let pkijs: typeof Pkijs;
let asn1js: typeof Asn1js;

async function loadPki(): Promise<void> {
  if (!pkijs) [pkijs, asn1js] = await Promise.all([import('pkijs'), import('asn1js')]);
}

interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: LocalTsaAlgorithm;
}

const subtle = webcrypto.subtle as unknown as SubtleCrypto;

function importParams(algorithm: LocalTsaAlgorithm): RsaHashedImportParams | EcKeyImportParams {
  return algorithm === 'RSA-2048'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

async function generateKeyPair(algorithm: LocalTsaAlgorithm): Promise<KeyPair> {
  const params =
    algorithm === 'RSA-2048'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { ...pair, algorithm };
}

async function importKeyPair(pemText: string): Promise<KeyPair> {
  const key = createPrivateKey(pemText);
  const algorithm = algorithmOf(key);
  const params = importParams(algorithm);
  const privateKey = await subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), params, true, [
    'sign',
  ]);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const publicKey = await subtle.importKey('spki', spki, params, true, ['verify']);
  return { privateKey, publicKey, algorithm };
}

/** Fresh PKCS#8 PEM keys a caller can store to make later runs reproducible. */
export async function generateLocalTsaKeys(
  algorithm: LocalTsaAlgorithm = 'RSA-2048',
): Promise<{ rootPrivateKeyPem: string; tsaPrivateKeyPem: string }> {
  const toPem = async (k: KeyPair) => pem('PRIVATE KEY', Buffer.from(await subtle.exportKey('pkcs8', k.privateKey)));
  return {
    rootPrivateKeyPem: await toPem(await generateKeyPair(algorithm)),
    tsaPrivateKeyPem: await toPem(await generateKeyPair(algorithm)),
  };
}

/** Positive 16-byte serials: from the seed when given, random otherwise. */
function serialSource(seed: number | undefined): (label: string) => Uint8Array {
  return (label) => {
    const bytes =
      seed === undefined ? randomBytes(16) : createHash('sha256').update(`${seed}:${label}`).digest().subarray(0, 16);
    const out = new Uint8Array(bytes);
    out[0] = (out[0] & 0x7f) | 0x01; // positive and without a leading zero byte
    return out;
  };
}

function name(commonName: string): Pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName }) }),
    ],
  });
}

function time(date: Date): Pkijs.Time {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return new pkijs.Time({
    type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime,
    value: date,
  });
}

function extension(
  extnID: string,
  critical: boolean,
  value: Asn1js.AsnType | { toSchema(): Asn1js.AsnType },
): Pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

function keyUsage(bits: number, unusedBits: number): Asn1js.BitString {
  return new asn1js.BitString({ valueHex: new Uint8Array([bits]), unusedBits });
}

function subjectKeyId(cert: Pkijs.Certificate): Uint8Array {
  return new Uint8Array(
    createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest(),
  );
}

interface CertSpec {
  serial: Uint8Array;
  subject: string;
  issuer: Pkijs.Certificate | 'self';
  notBefore: Date;
  notAfter: Date;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  extensions: (ski: Uint8Array, issuerSki: Uint8Array) => Pkijs.Extension[];
}

async function issue(spec: CertSpec): Promise<Pkijs.Certificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: spec.serial });
  cert.subject = name(spec.subject);
  cert.issuer = spec.issuer === 'self' ? name(spec.subject) : spec.issuer.subject;
  cert.notBefore = time(spec.notBefore);
  cert.notAfter = time(spec.notAfter);
  await cert.subjectPublicKeyInfo.importKey(spec.publicKey);
  const ski = subjectKeyId(cert);
  const issuerSki = spec.issuer === 'self' ? ski : subjectKeyId(spec.issuer);
  cert.extensions = spec.extensions(ski, issuerSki);
  await cert.sign(spec.signingKey, 'SHA-256');
  return cert;
}

function der(value: { toSchema(): Asn1js.AsnType }): Buffer {
  return Buffer.from(value.toSchema().toBER(false));
}

export async function createLocalTsa(options: LocalTsaOptions): Promise<LocalTsa> {
  await loadPki();
  const profile = {
    ekuCritical: true,
    ekuPurposes: [OID.timeStamping] as string[],
    ...REQUIRED_PROFILE,
    ...options.testProfile,
  };
  const [rootKeys, tsaKeys] = options.keys
    ? await Promise.all([importKeyPair(options.keys.rootPrivateKeyPem), importKeyPair(options.keys.tsaPrivateKeyPem)])
    : await Promise.all([
        generateKeyPair(options.algorithm ?? 'ECDSA-P256'),
        generateKeyPair(options.algorithm ?? 'ECDSA-P256'),
      ]);
  const serial = serialSource(options.seed);
  const policy = options.policy ?? '1.2.3.4.1';

  const root = await issue({
    serial: serial('root'),
    subject: options.rootName ?? 'Audit Workstation Local Test TSA Root',
    issuer: 'self',
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: (ski) => [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true })),
      extension(OID.keyUsage, true, keyUsage(0x06, 1)), // keyCertSign, cRLSign
      extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski })),
    ],
  });
  const tsa = await issue({
    serial: serial('tsa'),
    subject: options.tsaName ?? 'Audit Workstation Local Test TSA',
    issuer: root,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: tsaKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: (ski, issuerSki) => [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })),
      extension(OID.keyUsage, true, keyUsage(0x80, 7)), // digitalSignature
      extension(OID.extKeyUsage, profile.ekuCritical, new pkijs.ExtKeyUsage({ keyPurposes: profile.ekuPurposes })),
      extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski })),
      extension(
        OID.authorityKeyIdentifier,
        false,
        new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuerSki }) }),
      ),
    ],
  });
  const tsaDer = der(tsa);
  const id = identityOf(tsaDer, KeyObject.from(tsaKeys.privateKey));
  const nextSerial = tokenSerials(options.seed);

  return {
    algorithm: tsaKeys.algorithm,
    rootPem: pem('CERTIFICATE', der(root)),
    tsaPem: pem('CERTIFICATE', tsaDer),
    timestamp: async (bytes, genTime, o = {}) =>
      buildToken(id, profile, policy, bytes, genTime, o.serialNumber ?? nextSerial()),
  };
}
