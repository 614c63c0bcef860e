// Fuzzing the cryptographic inputs of an archive: checkpoint signatures (.sig, base64 text), RFC 3161
// time-stamp responses (.tsr, DER; mutations aimed at the tag and length bytes of every ASN.1 element)
// and key files (keys/*.pem). The verifiers never throw for a bad .sig, and throw only a clear
// UNREADABLE_INPUT for bytes that are not a TimeStampResp or a key at all; above all, nothing altered
// ever passes: a signature passes only over the original bytes, a token only with the original facts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { decodeSignatureText, verifyCheckpointSignature } from '../../src/verify/crypto/signature.ts';
import { verifyTimestamp } from '../../src/verify/crypto/timestamp.ts';
import { loadKeyFile, parseKeyMaterial, TrustStore } from '../../src/verify/crypto/keys.ts';
import { expectClearError, fuzz, mutate, mutationsArb, runs, timeoutFor } from './support.ts';
import type { Outcome } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const CP = 'checkpoints/decisions/2026-03-01.json';
const checkpoint = readFileSync(join(EXAMPLE, CP));
const sigText = readFileSync(join(EXAMPLE, `${CP}.sig`));
const tsr = readFileSync(join(EXAMPLE, `${CP}.tsr`));
const signingPem = readFileSync(join(EXAMPLE, 'keys/checkpoint-signing.pub.pem'));
const tsaPem = readFileSync(join(EXAMPLE, 'keys/tsa.pem'));
const anchors = loadKeyFile(join(EXAMPLE, 'keys/tsa-root.pem')).keys;
const extra = loadKeyFile(join(EXAMPLE, 'keys/tsa.pem'), 'keys/tsa.pem').keys;
const candidates = TrustStore.load({ pins: [join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')] }).signatureCandidates(
  parseKeyMaterial(signingPem, 'keys/checkpoint-signing.pub.pem').keys,
);
const originalSignature = (decodeSignatureText(sigText) as { ok: true; bytes: Buffer }).bytes;
const STATUSES = ['pass', 'fail', 'warn', 'unverifiable'];

/** Offsets of the tag and length bytes of every element of a DER encoding. */
function derHot(b: Buffer): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): void => {
    let i = start;
    while (i < end && depth < 40) {
      const tag = b[i];
      out.push(i, i + 1);
      let len = b[i + 1];
      let hdr = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + b[i + 2 + k];
        hdr += n;
      }
      if (tag & 0x20) walk(i + hdr, Math.min(end, i + hdr + len), depth + 1);
      else if (tag === 0x04 && b[i + hdr] === 0x30) walk(i + hdr, Math.min(end, i + hdr + len), depth + 1); // OCTET STRING holding DER
      i += hdr + len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

/** The base64 of the signature, or of bytes derived from it; or its text damaged as text. */
const signatureArb = fc.oneof(
  mutationsArb.map((m) => ({ text: mutate(sigText, m), checkpoint })),
  mutationsArb.map((m) => ({ text: Buffer.from(mutate(originalSignature, m).toString('base64')), checkpoint })),
  fc.tuple(mutationsArb, fc.boolean()).map(([m, urlSafe]) => ({
    text: Buffer.from(originalSignature.toString(urlSafe ? 'base64url' : 'base64')),
    checkpoint: mutate(checkpoint, m),
  })),
  fc.string({ unit: 'binary', maxLength: 120 }).map((t) => ({ text: Buffer.from(t), checkpoint })),
);

describe('fuzz: .sig, .tsr, keys', () => {
  const n = runs(150);
  it(
    `a .sig passes only over the original bytes and never throws (${n} cases)`,
    async () => {
      await fuzz(
        'sig',
        'signature',
        signatureArb,
        ({ text, checkpoint: cp }) => {
          const r = verifyCheckpointSignature({
            checkpointBytes: cp,
            signature: text,
            keys: candidates,
            checkpointFile: CP,
            signatureFile: `${CP}.sig`,
          });
          if (!STATUSES.includes(r.status)) throw new Error(`status ${r.status}`);
          if (typeof r.reason !== 'string' || r.reason.length === 0) throw new Error('no reason');
          if (r.status === 'pass') {
            const decoded = decodeSignatureText(text);
            if (!cp.equals(checkpoint)) throw new Error('an altered checkpoint passed');
            if (!decoded.ok || !decoded.bytes.equals(originalSignature)) throw new Error('an altered signature passed');
            return 'valid';
          }
          return 'rejected';
        },
        n,
      );
    },
    timeoutFor(n, 20),
  );

  const original = { genTime: '', serialNumber: '' };
  const m = runs(60);
  it(
    `a .tsr passes only with its original facts over the original bytes, else a result or a clear error (${m} cases)`,
    async () => {
      const base = await verifyTimestamp({
        checkpointBytes: checkpoint,
        tokenBytes: tsr,
        tokenFile: `${CP}.tsr`,
        anchors,
        extraCertificates: extra,
      });
      if (base.status !== 'pass') throw new Error(`the seed token does not pass: ${base.reason}`);
      original.genTime = base.genTime ?? '';
      original.serialNumber = base.serialNumber ?? '';
      const expectedImprint = createHash('sha256').update(checkpoint).digest('hex');
      const hot = derHot(tsr);
      await fuzz(
        'tsr',
        'timestamp',
        fc.tuple(mutationsArb, fc.boolean()),
        async ([mutations, aim]): Promise<Outcome> => {
          const token = mutate(tsr, mutations, aim ? hot : []);
          let r;
          try {
            r = await verifyTimestamp({
              checkpointBytes: checkpoint,
              tokenBytes: token,
              tokenFile: `${CP}.tsr`,
              checkpointFile: CP,
              anchors,
              extraCertificates: extra,
            });
          } catch (err) {
            expectClearError(err, `${CP}.tsr`, ['UNREADABLE_INPUT']);
            return 'rejected';
          }
          if (!STATUSES.includes(r.status)) throw new Error(`status ${r.status}`);
          if (typeof r.reason !== 'string' || r.reason.length === 0) throw new Error('no reason');
          if (r.status !== 'pass') return 'rejected';
          if (r.genTime !== original.genTime || r.serialNumber !== original.serialNumber)
            throw new Error(`an altered token passed with genTime ${r.genTime}, serial ${r.serialNumber}`);
          if (r.imprint?.value !== expectedImprint) throw new Error('a token over other bytes passed');
          return 'valid';
        },
        m,
      );
    },
    timeoutFor(m, 400),
  );

  const k = runs(100);
  it(
    `key files (PEM and DER): keys, or refused naming the file (${k} cases)`,
    async () => {
      const der = Buffer.from(
        tsaPem
          .toString('utf8')
          .replace(/-----[^-]+-----/g, '')
          .replace(/\s+/g, ''),
        'base64',
      );
      const seeds = [signingPem, tsaPem, der];
      const hot = derHot(der);
      await fuzz(
        'keys',
        'key-file',
        fc.tuple(fc.nat(), mutationsArb),
        ([pick, mutations]) => {
          const seed = seeds[pick % seeds.length];
          const bytes = mutate(seed, mutations, seed === der ? hot : []);
          try {
            const r = parseKeyMaterial(bytes, 'keys/fuzzed.pem');
            if (!Array.isArray(r.keys)) throw new Error('no key list');
            return 'valid';
          } catch (err) {
            expectClearError(err, 'keys/fuzzed.pem', ['UNREADABLE_INPUT', 'UNSUPPORTED']);
            return 'rejected';
          }
        },
        k,
      );
    },
    timeoutFor(k, 20),
  );
});
