import { constants, createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AuditWsError } from '../../errors.ts';
import type { KeyMaterial } from './keys.ts';
import type { CheckStatus } from './signature.ts';

/**
 * Offline verification of an RFC 3161 TimeStampResp over a checkpoint file.
 *
 * Each property a careful auditor would check is its own sub-check with a plain sentence, so a
 * report can say exactly what held and what did not. Certificates are judged at the token's
 * genTime (a TSA certificate that has expired since is fine; one that had expired when it signed
 * is not). Revocation is not checked: that needs the network (OCSP/CRL), and this runs offline.
 */

export type TimestampCheckName =
  | 'response'
  | 'imprint'
  | 'signature'
  | 'signing-certificate'
  | 'extended-key-usage'
  | 'validity'
  | 'chain'
  | 'tsa-name';

export interface TimestampSubCheck {
  name: TimestampCheckName;
  status: CheckStatus;
  reason: string;
}

export type CertificateOrigin = 'token' | 'archive' | 'anchor';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  sha256: string;
  notBefore: string;
  notAfter: string;
  /** judged at the token's genTime, not now */
  validAtGenTime?: boolean;
  origin: CertificateOrigin;
  file?: string;
}

export interface TimestampResult {
  status: CheckStatus;
  reason: string;
  tokenFile?: string;
  checkpointFile?: string;
  pkiStatus?: { code: number; name: string; text?: string[] };
  /** ISO 8601 UTC */
  genTime?: string;
  serialNumber?: string;
  policy?: string;
  nonce?: string;
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  ordering?: boolean;
  /** the TSTInfo `tsa` name, when the TSA put one in */
  tsaName?: string;
  /** subject of the certificate that signed the token */
  tsaSubject?: string;
  imprint?: { algorithm: string; oid: string; value: string; expected?: string };
  signerCertificate?: CertificateSummary;
  /** from the TSA certificate up to the anchor (or as far as it could be followed) */
  chain?: CertificateSummary[];
  anchor?: CertificateSummary;
  revocationChecked: false;
  checks: TimestampSubCheck[];
}

export interface TimestampInput {
  checkpointBytes: Buffer;
  /** the DER TimeStampResp (`.tsr` file content) */
  tokenBytes: Buffer;
  tokenFile?: string;
  checkpointFile?: string;
  /** --trust-tsa certificates; none means the chain cannot be judged ("unverifiable") */
  anchors?: KeyMaterial[];
  /** certificates the archive offers (e.g. keys/tsa.pem) to complete the chain; never trusted */
  extraCertificates?: KeyMaterial[];
}

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.5': 'md5',
};
const WEAK_HASHES = new Set(['md5', 'sha1']);

const PKI_STATUS_NAMES = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];

/** The pieces of a TimeStampResp, parsed but not yet judged. */
export interface ParsedTimestamp {
  response: pkijs.TimeStampResp;
  trailingBytes: number;
}

/**
 * Decodes the outer TimeStampResp. Throws AuditWsError UNREADABLE_INPUT, naming the file, only
 * when the bytes are not a TimeStampResp at all; anything wrong inside a readable response is a
 * verification result, not an error.
 */
export function parseTimeStampResp(bytes: Buffer, file = 'timestamp token'): ParsedTimestamp {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const asn = asn1js.fromBER(view);
  if (asn.offset === -1) {
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: not DER-encoded data (${asn.result.error || 'decoding failed'})`,
      {
        file,
      },
    );
  }
  try {
    const response = new pkijs.TimeStampResp({ schema: asn.result });
    return { response, trailingBytes: bytes.length - asn.offset };
  } catch (err) {
    throw new AuditWsError('UNREADABLE_INPUT', `${file}: not an RFC 3161 TimeStampResp (${(err as Error).message})`, {
      file,
    });
  }
}

/**
 * The genTime a token states, read without judging it (for display beside the run's findings, which say
 * whether the token verified); undefined when the bytes hold no readable TSTInfo.
 */
export function statedGenTime(bytes: Buffer): string | undefined {
  try {
    const token = parseTimeStampResp(bytes).response.timeStampToken;
    if (!token || token.contentType !== OID.signedData) return undefined;
    const signed = new pkijs.SignedData({ schema: token.content });
    const content = signed.encapContentInfo.eContent;
    if (signed.encapContentInfo.eContentType !== OID.tstInfo || !content) return undefined;
    return pkijs.TSTInfo.fromBER(new Uint8Array(toBuffer(content.getValue()))).genTime.toISOString();
  } catch {
    return undefined;
  }
}

interface CertEntry {
  cert: pkijs.Certificate;
  der: Buffer;
  x509: X509Certificate;
  sha256: string;
  origin: CertificateOrigin;
  file?: string;
}

function toBuffer(view: ArrayBuffer | Uint8Array): Buffer {
  return view instanceof Uint8Array ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.from(view);
}

function entryFromPkijs(cert: pkijs.Certificate, origin: CertificateOrigin, file?: string): CertEntry | undefined {
  try {
    const der = toBuffer(cert.toSchema().toBER(false));
    const x509 = new X509Certificate(der);
    void x509.publicKey; // a certificate whose key cannot be read (damaged SPKI) is no certificate at all
    return { cert, der, x509, sha256: sha256Hex(der), origin, file };
  } catch {
    return undefined;
  }
}

function entryFromKeyMaterial(k: KeyMaterial, origin: CertificateOrigin): CertEntry | undefined {
  if (!k.certificateDer) return undefined;
  try {
    const cert = pkijs.Certificate.fromBER(new Uint8Array(k.certificateDer));
    return {
      cert,
      der: k.certificateDer,
      x509: new X509Certificate(k.certificateDer),
      sha256: sha256Hex(k.certificateDer),
      origin,
      file: k.file,
    };
  } catch {
    return undefined;
  }
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hexOf(view: ArrayBuffer | Uint8Array): string {
  return toBuffer(view).toString('hex');
}

function nameOf(x509: X509Certificate, which: 'subject' | 'issuer'): string {
  return x509[which].split('\n').join(', ');
}

const RDN_SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function rdnToString(rdn: pkijs.RelativeDistinguishedNames): string {
  return rdn.typesAndValues
    .map((tv) => {
      const v = tv.value as { valueBlock?: { value?: unknown } };
      const value = typeof v.valueBlock?.value === 'string' ? v.valueBlock.value : '?';
      return `${RDN_SHORT[tv.type] ?? tv.type}=${value}`;
    })
    .join(', ');
}

function summarise(e: CertEntry, genTime?: Date): CertificateSummary {
  const nb = e.cert.notBefore.value;
  const na = e.cert.notAfter.value;
  return {
    subject: nameOf(e.x509, 'subject'),
    issuer: nameOf(e.x509, 'issuer'),
    serialNumber: e.x509.serialNumber.toLowerCase(),
    sha256: e.sha256,
    notBefore: nb.toISOString(),
    notAfter: na.toISOString(),
    validAtGenTime: genTime ? nb <= genTime && genTime <= na : undefined,
    origin: e.origin,
    file: e.file,
  };
}

function dedupe(entries: (CertEntry | undefined)[]): CertEntry[] {
  const seen = new Map<string, CertEntry>();
  for (const e of entries) if (e && !seen.has(e.sha256)) seen.set(e.sha256, e);
  return [...seen.values()];
}

function combine(checks: TimestampSubCheck[]): { status: CheckStatus; reason: string } {
  const rank: CheckStatus[] = ['fail', 'unverifiable', 'warn'];
  for (const status of rank) {
    const hit = checks.filter((c) => c.status === status);
    if (hit.length > 0) {
      const more =
        hit.length > 1
          ? ` (and ${hit.length - 1} more ${status === 'fail' ? 'failure' : 'issue'}${hit.length > 2 ? 's' : ''})`
          : '';
      return { status, reason: `${hit[0].reason}${more}` };
    }
  }
  return {
    status: 'pass',
    reason: 'The time-stamp token is valid: it covers these exact bytes and chains to a supplied TSA trust anchor.',
  };
}

/** Node's verify options for a CMS signature algorithm; undefined when unsupported. */
function signatureScheme(
  algorithm: pkijs.AlgorithmIdentifier,
  digestHash: string | undefined,
): { hash: string | null; padding?: number; saltLength?: number } | undefined {
  const oid = algorithm.algorithmId;
  const rsaPkcs1: Record<string, string> = {
    '1.2.840.113549.1.1.5': 'sha1',
    '1.2.840.113549.1.1.14': 'sha224',
    '1.2.840.113549.1.1.11': 'sha256',
    '1.2.840.113549.1.1.12': 'sha384',
    '1.2.840.113549.1.1.13': 'sha512',
  };
  const ecdsa: Record<string, string> = {
    '1.2.840.10045.4.1': 'sha1',
    '1.2.840.10045.4.3.1': 'sha224',
    '1.2.840.10045.4.3.2': 'sha256',
    '1.2.840.10045.4.3.3': 'sha384',
    '1.2.840.10045.4.3.4': 'sha512',
  };
  if (oid === '1.2.840.113549.1.1.1')
    return digestHash ? { hash: digestHash, padding: constants.RSA_PKCS1_PADDING } : undefined;
  if (rsaPkcs1[oid]) return { hash: rsaPkcs1[oid], padding: constants.RSA_PKCS1_PADDING };
  if (ecdsa[oid]) return { hash: ecdsa[oid] };
  if (oid === '1.2.840.10045.2.1') return digestHash ? { hash: digestHash } : undefined;
  if (oid === '1.3.101.112') return { hash: null };
  if (oid === '1.2.840.113549.1.1.10') {
    const params = algorithm.algorithmParams
      ? new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams })
      : new pkijs.RSASSAPSSParams();
    const hash = HASHES[params.hashAlgorithm.algorithmId];
    return hash ? { hash, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength } : undefined;
  }
  return undefined;
}

function verifyCms(
  data: Buffer,
  signature: Buffer,
  key: KeyObject,
  scheme: { hash: string | null; padding?: number; saltLength?: number },
): boolean {
  try {
    return cryptoVerify(
      scheme.hash,
      data,
      { key, padding: scheme.padding, saltLength: scheme.saltLength, dsaEncoding: 'der' },
      signature,
    );
  } catch {
    return false;
  }
}

function findSigner(signerInfo: pkijs.SignerInfo, pool: CertEntry[]): CertEntry | undefined {
  const sid = signerInfo.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return pool.find((e) => e.cert.issuer.isEqual(sid.issuer) && e.cert.serialNumber.isEqual(sid.serialNumber));
  }
  // [0] SubjectKeyIdentifier: match the certificate's SKI extension, or the SHA-1 of its key.
  const block = sid as asn1js.Constructed & asn1js.Primitive;
  const keyId = toBuffer(
    block.idBlock.isConstructed
      ? (block.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView
      : block.valueBlock.valueHexView,
  );
  return pool.find((e) => {
    const ski = e.cert.extensions?.find((x) => x.extnID === OID.subjectKeyIdentifier)?.parsedValue as
      asn1js.OctetString | undefined;
    if (ski && toBuffer(ski.valueBlock.valueHexView).equals(keyId)) return true;
    const spk = e.cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    return createHash('sha1').update(spk).digest().equals(keyId);
  });
}

/** Checks the ESSCertID / ESSCertIDv2 signing-certificate attribute against the actual signer. */
function checkSigningCertificateAttribute(signerInfo: pkijs.SignerInfo, signer: CertEntry): TimestampSubCheck {
  const attrs = signerInfo.signedAttrs?.attributes ?? [];
  const v2 = attrs.find((a) => a.type === OID.signingCertificateV2);
  const v1 = attrs.find((a) => a.type === OID.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) {
    return {
      name: 'signing-certificate',
      status: 'warn',
      reason:
        'The token does not name its signing certificate (no ESSCertID or ESSCertIDv2 attribute), which RFC 3161 requires.',
    };
  }
  const label = v2 ? 'ESSCertIDv2' : 'ESSCertID';
  try {
    const signingCertificate = attr.values[0] as asn1js.Sequence;
    const certs = signingCertificate.valueBlock.value[0] as asn1js.Sequence;
    const first = certs.valueBlock.value[0] as asn1js.Sequence;
    const parts = first.valueBlock.value;
    let i = 0;
    let hash = 'sha1';
    if (v2) {
      hash = 'sha256';
      // hashAlgorithm is DEFAULT sha256, so it is present only when it is something else.
      if (parts[0] instanceof asn1js.Sequence) {
        const alg = new pkijs.AlgorithmIdentifier({ schema: parts[0] });
        const name = HASHES[alg.algorithmId];
        if (!name) {
          return {
            name: 'signing-certificate',
            status: 'fail',
            reason: `The ${label} attribute uses an unknown hash algorithm (${alg.algorithmId}).`,
          };
        }
        hash = name;
        i = 1;
      }
    }
    const certHash = toBuffer((parts[i] as asn1js.OctetString).valueBlock.valueHexView);
    const actual = createHash(hash).update(signer.der).digest();
    if (!certHash.equals(actual)) {
      return {
        name: 'signing-certificate',
        status: 'fail',
        reason: `The token's ${label} attribute names a different certificate from the one that signed it.`,
      };
    }
    const issuerSerialBlock = parts[i + 1];
    if (issuerSerialBlock) {
      const issuerSerial = new pkijs.IssuerSerial({ schema: issuerSerialBlock });
      const serialOk = issuerSerial.serialNumber.isEqual(signer.cert.serialNumber);
      const dirNames = issuerSerial.issuer.names.filter((n) => n.type === 4);
      const issuerOk =
        dirNames.length === 0 ||
        dirNames.some((n) => (n.value as pkijs.RelativeDistinguishedNames).isEqual(signer.cert.issuer));
      if (!serialOk || !issuerOk) {
        return {
          name: 'signing-certificate',
          status: 'fail',
          reason: `The token's ${label} attribute names a different issuer or serial number from the certificate that signed it.`,
        };
      }
    }
    return {
      name: 'signing-certificate',
      status: 'pass',
      reason: `The ${label} attribute names the signing certificate (${hash}).`,
    };
  } catch (err) {
    return {
      name: 'signing-certificate',
      status: 'fail',
      reason: `The ${label} attribute cannot be read (${(err as Error).message}).`,
    };
  }
}

function checkExtendedKeyUsage(signer: CertEntry): TimestampSubCheck {
  const ext = signer.cert.extensions?.find((x) => x.extnID === OID.extKeyUsage);
  const subject = nameOf(signer.x509, 'subject');
  if (!ext) {
    return {
      name: 'extended-key-usage',
      status: 'fail',
      reason: `The TSA certificate ${subject} has no extended key usage, so it is not a time-stamping certificate.`,
    };
  }
  const purposes = (ext.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  if (!purposes.includes(OID.timeStamping)) {
    return {
      name: 'extended-key-usage',
      status: 'fail',
      reason: `The TSA certificate ${subject} is not issued for time-stamping (no id-kp-timeStamping).`,
    };
  }
  if (!ext.critical) {
    return {
      name: 'extended-key-usage',
      status: 'fail',
      reason: `The TSA certificate ${subject} has id-kp-timeStamping, but its extended key usage is not critical as RFC 3161 requires.`,
    };
  }
  if (purposes.length > 1) {
    return {
      name: 'extended-key-usage',
      status: 'warn',
      reason: `The TSA certificate ${subject} allows other purposes besides time-stamping, which RFC 3161 forbids.`,
    };
  }
  return {
    name: 'extended-key-usage',
    status: 'pass',
    reason: 'The TSA certificate is issued for time-stamping only (critical extended key usage).',
  };
}

/**
 * Follows issuer names from the TSA certificate as far as the offered certificates allow. Used to
 * report every certificate's validity at genTime even when no anchor is given or the chain
 * fails; the judgement of the chain itself is pkijs's.
 */
function followIssuers(signer: CertEntry, pool: CertEntry[]): CertEntry[] {
  const path = [signer];
  let current = signer;
  while (path.length < 8 && !current.cert.issuer.isEqual(current.cert.subject)) {
    const issuer = pool.find(
      (e) => !path.includes(e) && e.cert.subject.isEqual(current.cert.issuer) && current.x509.checkIssued(e.x509),
    );
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  return path;
}

/**
 * Verifies a TimeStampResp over the checkpoint bytes. Throws AuditWsError UNREADABLE_INPUT only for
 * bytes that are not a TimeStampResp at all; anything a damaged token makes the checks trip over
 * becomes a failed check with its reason, never an exception.
 */
export async function verifyTimestamp(input: TimestampInput): Promise<TimestampResult> {
  try {
    return await checkTimestamp(input);
  } catch (err) {
    if (err instanceof AuditWsError) throw err;
    const reason = `The time-stamp token cannot be checked: ${err instanceof Error ? err.message : String(err)}.`;
    return {
      status: 'fail',
      reason,
      tokenFile: input.tokenFile,
      checkpointFile: input.checkpointFile,
      revocationChecked: false,
      checks: [{ name: 'response', status: 'fail', reason }],
    };
  }
}

async function checkTimestamp(input: TimestampInput): Promise<TimestampResult> {
  const tokenFile = input.tokenFile ?? 'timestamp token';
  const parsed = parseTimeStampResp(input.tokenBytes, tokenFile);
  const checks: TimestampSubCheck[] = [];
  const result: TimestampResult = {
    status: 'fail',
    reason: '',
    tokenFile: input.tokenFile,
    checkpointFile: input.checkpointFile,
    revocationChecked: false,
    checks,
  };
  const finish = (): TimestampResult => Object.assign(result, combine(checks));
  const stop = (reason: string): TimestampResult => {
    checks.push({ name: 'response', status: 'fail', reason });
    return finish();
  };

  // --- response: PKIStatus and the CMS structure -------------------------------------------------
  const statusInfo = parsed.response.status;
  const code = statusInfo.status as number;
  const statusName = PKI_STATUS_NAMES[code] ?? `status ${code}`;
  const statusText = statusInfo.statusStrings?.map((s) => s.valueBlock.value);
  result.pkiStatus = { code, name: statusName, ...(statusText?.length ? { text: statusText } : {}) };
  if (code !== 0 && code !== 1) {
    return stop(
      `The TSA did not grant the time-stamp (PKIStatus ${statusName}${statusText?.length ? `: ${statusText.join('; ')}` : ''}).`,
    );
  }
  const token = parsed.response.timeStampToken;
  if (!token) return stop('The response says granted but carries no time-stamp token.');
  if (token.contentType !== OID.signedData)
    return stop(`The time-stamp token is not CMS SignedData (content type ${token.contentType}).`);
  let signed: pkijs.SignedData;
  try {
    signed = new pkijs.SignedData({ schema: token.content });
  } catch (err) {
    return stop(`The time-stamp token's CMS SignedData cannot be read (${(err as Error).message}).`);
  }
  if (signed.encapContentInfo.eContentType !== OID.tstInfo || !signed.encapContentInfo.eContent) {
    return stop(
      `The time-stamp token does not contain a TSTInfo (content type ${signed.encapContentInfo.eContentType}).`,
    );
  }
  const tstBytes = toBuffer(signed.encapContentInfo.eContent.getValue());
  let tst: pkijs.TSTInfo;
  try {
    tst = pkijs.TSTInfo.fromBER(new Uint8Array(tstBytes));
  } catch (err) {
    return stop(`The token's TSTInfo cannot be read (${(err as Error).message}).`);
  }
  if (signed.signerInfos.length !== 1)
    return stop(`The time-stamp token has ${signed.signerInfos.length} signers; RFC 3161 requires exactly one.`);
  checks.push(
    parsed.trailingBytes > 0
      ? {
          name: 'response',
          status: 'warn',
          reason: `${parsed.trailingBytes} bytes follow the TimeStampResp; they are not covered by it and were ignored.`,
        }
      : { name: 'response', status: 'pass', reason: `The TSA granted the time-stamp (PKIStatus ${statusName}).` },
  );

  // --- TSTInfo facts ---------------------------------------------------------------------------
  const genTime = tst.genTime;
  result.genTime = genTime.toISOString();
  result.serialNumber = hexOf(tst.serialNumber.valueBlock.valueHexView);
  result.policy = tst.policy;
  if (tst.nonce) result.nonce = hexOf(tst.nonce.valueBlock.valueHexView);
  if (tst.accuracy) {
    result.accuracy = {};
    for (const k of ['seconds', 'millis', 'micros'] as const)
      if (tst.accuracy[k] !== undefined) result.accuracy[k] = tst.accuracy[k];
  }
  result.ordering = tst.ordering ?? false;
  if (tst.tsa)
    result.tsaName =
      tst.tsa.type === 4 ? rdnToString(tst.tsa.value as pkijs.RelativeDistinguishedNames) : String(tst.tsa.value);

  // --- imprint ---------------------------------------------------------------------------------
  const imprintOid = tst.messageImprint.hashAlgorithm.algorithmId;
  const imprintHash = HASHES[imprintOid];
  const imprintValue = hexOf(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  result.imprint = { algorithm: imprintHash ?? 'unknown', oid: imprintOid, value: imprintValue };
  if (!imprintHash) {
    checks.push({
      name: 'imprint',
      status: 'fail',
      reason: `The token's message imprint uses an unknown hash algorithm (${imprintOid}).`,
    });
  } else {
    const expected = createHash(imprintHash).update(input.checkpointBytes).digest('hex');
    result.imprint.expected = expected;
    if (expected !== imprintValue) {
      checks.push({
        name: 'imprint',
        status: 'fail',
        reason: `The token's message imprint is not the ${imprintHash.toUpperCase()} of the checkpoint file: the token covers other bytes.`,
      });
    } else if (WEAK_HASHES.has(imprintHash)) {
      checks.push({
        name: 'imprint',
        status: 'fail',
        reason: `The token's message imprint uses ${imprintHash.toUpperCase()}, which is too weak to bind the checkpoint.`,
      });
    } else if (imprintHash !== 'sha256') {
      checks.push({
        name: 'imprint',
        status: 'warn',
        reason: `The message imprint matches but uses ${imprintHash.toUpperCase()}; the archive format requires SHA-256.`,
      });
    } else {
      checks.push({
        name: 'imprint',
        status: 'pass',
        reason: 'The message imprint is the SHA-256 of the checkpoint file bytes.',
      });
    }
  }

  // --- certificates on offer ---------------------------------------------------------------------
  const tokenCerts = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const anchors = dedupe((input.anchors ?? []).map((k) => entryFromKeyMaterial(k, 'anchor')));
  const pool = dedupe([
    ...tokenCerts.map((c) => entryFromPkijs(c, 'token')),
    ...(input.extraCertificates ?? []).map((k) => entryFromKeyMaterial(k, 'archive')),
    ...anchors,
  ]);

  // --- CMS signature -----------------------------------------------------------------------------
  const signerInfo = signed.signerInfos[0];
  const signer = findSigner(signerInfo, pool);
  if (!signer) {
    const reason =
      "The certificate that signed the token is not in the token, the archive's keys, or the supplied anchors, so the signature cannot be checked.";
    checks.push({ name: 'signature', status: 'unverifiable', reason });
    return finish();
  }
  result.signerCertificate = summarise(signer, genTime);
  result.tsaSubject = result.signerCertificate.subject;
  checks.push(checkCmsSignature(signerInfo, signer, tstBytes));
  checks.push(checkSigningCertificateAttribute(signerInfo, signer));
  checks.push(checkExtendedKeyUsage(signer));

  // --- validity at genTime and the chain to an anchor -------------------------------------------------
  const followed = followIssuers(signer, pool);
  const chainCheck = await checkChain(signer, pool, anchors, genTime, followed);
  const path = chainCheck.path ?? followed;
  result.chain = path.map((e) => summarise(e, genTime));
  if (chainCheck.anchor) result.anchor = summarise(chainCheck.anchor, genTime);
  const invalid = path.filter((e) => !(e.cert.notBefore.value <= genTime && genTime <= e.cert.notAfter.value));
  if (invalid.length > 0) {
    const e = invalid[0];
    const when =
      genTime < e.cert.notBefore.value
        ? `was not yet valid (from ${e.cert.notBefore.value.toISOString()})`
        : `had expired (on ${e.cert.notAfter.value.toISOString()})`;
    const role = e === signer ? 'TSA certificate' : 'certificate';
    checks.push({
      name: 'validity',
      status: 'fail',
      reason: `The ${role} ${nameOf(e.x509, 'subject')} ${when} at genTime ${result.genTime}.`,
    });
  } else {
    checks.push({
      name: 'validity',
      status: 'pass',
      reason: `Every certificate in the chain was valid at genTime ${result.genTime}.`,
    });
  }
  checks.push(chainCheck.check);

  // --- TSTInfo tsa name ---------------------------------------------------------------------------
  if (tst.tsa) {
    const matches =
      tst.tsa.type === 4 && (tst.tsa.value as pkijs.RelativeDistinguishedNames).isEqual(signer.cert.subject);
    checks.push(
      matches
        ? {
            name: 'tsa-name',
            status: 'pass',
            reason: "The TSA name in the token is the signing certificate's subject.",
          }
        : {
            name: 'tsa-name',
            status: 'warn',
            reason: `The TSA name in the token (${result.tsaName}) is not the signing certificate's subject.`,
          },
    );
  }
  return finish();
}

function checkCmsSignature(signerInfo: pkijs.SignerInfo, signer: CertEntry, tstBytes: Buffer): TimestampSubCheck {
  const digestHash = HASHES[signerInfo.digestAlgorithm.algorithmId];
  if (!digestHash) {
    return {
      name: 'signature',
      status: 'unverifiable',
      reason: `The token's digest algorithm (${signerInfo.digestAlgorithm.algorithmId}) is not supported.`,
    };
  }
  const scheme = signatureScheme(signerInfo.signatureAlgorithm, digestHash);
  if (!scheme) {
    return {
      name: 'signature',
      status: 'unverifiable',
      reason: `The token's signature algorithm (${signerInfo.signatureAlgorithm.algorithmId}) is not supported.`,
    };
  }
  let signedBytes = tstBytes;
  if (signerInfo.signedAttrs) {
    const attrs = signerInfo.signedAttrs.attributes;
    const contentType = attrs.find((a) => a.type === OID.contentType);
    const messageDigest = attrs.find((a) => a.type === OID.messageDigest);
    const ct = (contentType?.values[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString();
    if (ct !== OID.tstInfo) {
      return {
        name: 'signature',
        status: 'fail',
        reason: "The token's signed content-type attribute is missing or is not TSTInfo.",
      };
    }
    const md = messageDigest?.values[0] as asn1js.OctetString | undefined;
    if (!md) return { name: 'signature', status: 'fail', reason: 'The token has no signed message-digest attribute.' };
    if (!toBuffer(md.valueBlock.valueHexView).equals(createHash(digestHash).update(tstBytes).digest())) {
      return {
        name: 'signature',
        status: 'fail',
        reason: "The token's TSTInfo does not match the digest the TSA signed: the token was altered after signing.",
      };
    }
    signedBytes = toBuffer(signerInfo.signedAttrs.encodedValue);
  }
  const signature = toBuffer(signerInfo.signature.valueBlock.valueHexView);
  if (!verifyCms(signedBytes, signature, signer.x509.publicKey, scheme)) {
    return {
      name: 'signature',
      status: 'fail',
      reason: `The TSA signature does not verify with the certificate ${nameOf(signer.x509, 'subject')}.`,
    };
  }
  return {
    name: 'signature',
    status: 'pass',
    reason: `The TSA signature verifies with the certificate ${nameOf(signer.x509, 'subject')}.`,
  };
}

async function checkChain(
  signer: CertEntry,
  pool: CertEntry[],
  anchors: CertEntry[],
  genTime: Date,
  followed: CertEntry[],
): Promise<{ check: TimestampSubCheck; path?: CertEntry[]; anchor?: CertEntry }> {
  if (anchors.length === 0) {
    // Say which root the archive itself offers, so the investigator knows what to check and pass; it
    // stays self-asserted until they do.
    const top = followed[followed.length - 1];
    const offered =
      followed.length > 1 &&
      top.origin === 'archive' &&
      top.cert.issuer.isEqual(top.cert.subject) &&
      followed.every((e, i) => i === 0 || followed[i - 1].x509.verify(e.x509.publicKey))
        ? ` The archive's own root ${top.file ?? nameOf(top.x509, 'subject')} (SHA-256 ${top.sha256}) would complete the chain: pass it with --trust-tsa once that fingerprint is confirmed independently.`
        : '';
    return {
      check: {
        name: 'chain',
        status: 'unverifiable',
        reason: `No TSA trust anchor supplied, so the TSA certificate cannot be tied to an authority the investigator trusts.${offered}`,
      },
    };
  }
  const direct = anchors.find((a) => a.sha256 === signer.sha256);
  if (direct) {
    return {
      check: {
        name: 'chain',
        status: 'pass',
        reason: `The TSA certificate is itself a supplied trust anchor (${direct.file ?? nameOf(direct.x509, 'subject')}).`,
      },
      path: [signer],
      anchor: direct,
    };
  }
  // pkijs takes the last entry of `certs` as the end-entity, so the signer goes last and only once.
  const intermediates = pool.filter((e) => e.origin !== 'anchor' && e.sha256 !== signer.sha256);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: anchors.map((a) => a.cert),
    certs: [...intermediates.map((e) => e.cert), signer.cert],
    checkDate: genTime,
  });
  const verdict = await engine.verify();
  const anchorNames = anchors.map((a) => nameOf(a.x509, 'subject')).join('; ');
  if (verdict.result) {
    const byDer = (c: pkijs.Certificate) => pool.find((e) => e.cert === c) ?? anchors.find((a) => a.cert === c);
    const path = (verdict.certificatePath ?? []).map(byDer).filter((e): e is CertEntry => e !== undefined);
    const anchor =
      path.find((e) => e.origin === 'anchor') ?? anchors.find((a) => path.some((p) => p.sha256 === a.sha256));
    return {
      check: {
        name: 'chain',
        status: 'pass',
        reason: `The TSA certificate chains to the supplied trust anchor ${anchor ? nameOf(anchor.x509, 'subject') : anchorNames}.`,
      },
      path: path.length ? path : undefined,
      anchor,
    };
  }
  const message = verdict.resultMessage ?? '';
  if (verdict.resultCode === 8) {
    return {
      check: {
        name: 'chain',
        status: 'fail',
        reason: `The TSA certificate chain to ${anchorNames} was not valid at genTime ${genTime.toISOString()}.`,
      },
    };
  }
  if (/path|issuer/i.test(message)) {
    return {
      check: {
        name: 'chain',
        status: 'fail',
        reason: `The TSA certificate does not chain to any supplied TSA trust anchor (${anchorNames}).`,
      },
    };
  }
  return {
    check: {
      name: 'chain',
      status: 'fail',
      reason: `The TSA certificate chain to ${anchorNames} is not valid: ${message}.`,
    },
  };
}
