import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/**
 * A local, offline RFC 3161 time-stamping authority for the demo generator and for tests. It is a
 * TEST authority: its root is made on the spot, so its tokens prove nothing to anyone who has not
 * chosen to trust that root. It issues a self-signed root and a TSA certificate (extended key usage
 * id-kp-timeStamping, critical) and answers with DER TimeStampResp tokens that carry the TSA
 * certificate and a signing-certificate-v2 attribute, as RFC 3161 / RFC 5816 ask.
 *
 * Determinism: by default keys are fresh ECDSA P-256 keys. Pass `keys` (PKCS#8 PEM) to reuse keys;
 * with RSA keys and a `seed`, every byte (certificates and tokens) is reproducible, because RSA
 * PKCS#1 v1.5 signatures are deterministic. ECDSA signatures are randomised by WebCrypto, so with
 * ECDSA keys only the key fingerprints and token contents repeat, not the signature bytes.
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
  testProfile?: {
    ekuCritical?: boolean;
    ekuPurposes?: string[];
    includeCertificates?: boolean;
    signingCertificateAttribute?: boolean;
    /** name the signer by subjectKeyIdentifier instead of issuer and serial number */
    signerBySubjectKeyId?: boolean;
  };
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
  timestamp(bytes: Buffer, genTime: Date): Promise<Buffer>;
}

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

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

async function importKeyPair(pem: string): Promise<KeyPair> {
  const key = createPrivateKey(pem);
  let algorithm: LocalTsaAlgorithm;
  if (key.asymmetricKeyType === 'rsa') algorithm = 'RSA-2048';
  else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    algorithm = 'ECDSA-P256';
  else throw new Error(`local TSA keys must be RSA or ECDSA P-256, not ${key.asymmetricKeyType}`);
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

function pem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
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

function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName }) }),
    ],
  });
}

function time(date: Date): pkijs.Time {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return new pkijs.Time({
    type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime,
    value: date,
  });
}

function extension(
  extnID: string,
  critical: boolean,
  value: asn1js.AsnType | { toSchema(): asn1js.AsnType },
): pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

function keyUsage(bits: number, unusedBits: number): asn1js.BitString {
  return new asn1js.BitString({ valueHex: new Uint8Array([bits]), unusedBits });
}

function subjectKeyId(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(
    createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest(),
  );
}

interface CertSpec {
  serial: Uint8Array;
  subject: string;
  issuer: pkijs.Certificate | 'self';
  notBefore: Date;
  notAfter: Date;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  extensions: (ski: Uint8Array, issuerSki: Uint8Array) => pkijs.Extension[];
}

async function issue(spec: CertSpec): Promise<pkijs.Certificate> {
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

function der(value: { toSchema(): asn1js.AsnType }): Buffer {
  return Buffer.from(value.toSchema().toBER(false));
}

export async function createLocalTsa(options: LocalTsaOptions): Promise<LocalTsa> {
  const profile = {
    ekuCritical: true,
    ekuPurposes: [OID.timeStamping],
    includeCertificates: true,
    signingCertificateAttribute: true,
    signerBySubjectKeyId: false,
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

  let counter = 0;
  const serialBase =
    createHash('sha256')
      .update(`${options.seed ?? randomBytes(8).toString('hex')}:tokens`)
      .digest()
      .readUInt32BE(0) >>> 8;

  async function timestamp(bytes: Buffer, genTime: Date): Promise<Buffer> {
    counter += 1;
    const when = new Date(Math.floor(genTime.getTime() / 1000) * 1000);
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
        hashedMessage: new asn1js.OctetString({ valueHex: createHash('sha256').update(bytes).digest() }),
      }),
      serialNumber: new asn1js.Integer({ value: serialBase + counter }),
      genTime: when,
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      tsa: new pkijs.GeneralName({ type: 4, value: tsa.subject }),
    });
    const tstDer = der(tst);

    const attributes = [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
      new pkijs.Attribute({
        type: OID.messageDigest,
        values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(tstDer).digest() })],
      }),
    ];
    if (profile.signingCertificateAttribute) {
      // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { certHash, issuerSerial } }, hash
      // algorithm left out because SHA-256 is its DEFAULT.
      const issuerSerial = new asn1js.Sequence({
        value: [
          new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: tsa.issuer })] }).toSchema(),
          new asn1js.Integer({ valueHex: tsa.serialNumber.valueBlock.valueHexView }),
        ],
      });
      const essCertIdV2 = new asn1js.Sequence({
        value: [new asn1js.OctetString({ valueHex: createHash('sha256').update(tsaDer).digest() }), issuerSerial],
      });
      attributes.push(
        new pkijs.Attribute({
          type: OID.signingCertificateV2,
          values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
        }),
      );
    }
    // DER orders a SET OF by encoding; the signature covers these exact bytes.
    attributes.sort((a, b) => Buffer.compare(der(a), der(b)));

    const signed = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: OID.tstInfo,
        eContent: new asn1js.OctetString({ valueHex: tstDer }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          // RFC 5652: version 1 with issuerAndSerialNumber, 3 with [0] subjectKeyIdentifier.
          version: profile.signerBySubjectKeyId ? 3 : 1,
          sid: profile.signerBySubjectKeyId
            ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: subjectKeyId(tsa) })
            : new pkijs.IssuerAndSerialNumber({ issuer: tsa.issuer, serialNumber: tsa.serialNumber }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
        }),
      ],
      ...(profile.includeCertificates ? { certificates: [tsa] } : {}),
    });
    await signed.sign(tsaKeys.privateKey, 0, 'SHA-256');
    const content = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
    const response = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
      timeStampToken: new pkijs.ContentInfo({ schema: content.toSchema() }),
    });
    return Buffer.from(response.toSchema().toBER(false));
  }

  return {
    algorithm: tsaKeys.algorithm,
    rootPem: pem('CERTIFICATE', der(root)),
    tsaPem: pem('CERTIFICATE', tsaDer),
    timestamp,
  };
}
