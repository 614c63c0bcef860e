import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyCheckpointSignature } from '../crypto/signature.ts';
import { archiveKeys, trustStoreFor } from '../trust.ts';
import type { ArchiveCheck } from '../types.ts';

/** Each checkpoint's .sig verifies over the checkpoint's exact bytes, with a key the investigator pinned. */
export const signatureCheck: ArchiveCheck = {
  id: 'checkpoint-signature',
  title: 'Checkpoint signatures (Ed25519, ECDSA P-256, RSA PKCS#1 v1.5)',
  category: 'integrity',
  async run(ctx, sink) {
    const trust = trustStoreFor(ctx.options);
    for (const stream of ctx.streams) {
      for (const cp of stream.checkpoints) {
        const { files, archive, bytes } = cp;
        if (!files.sigPath) {
          sink.add({
            check: this.id,
            status: 'warn',
            category: 'trust',
            stream: stream.name,
            file: files.path,
            message: `${files.path} has no signature (.sig): nothing proves who wrote it.`,
          });
          continue;
        }
        const candidates = trust.signatureCandidates(archiveKeys(archive).keys);
        const result = verifyCheckpointSignature({
          checkpointBytes: bytes,
          signature: await readFile(join(archive.root, files.sigPath)),
          keys: candidates,
          checkpointFile: files.path,
          signatureFile: files.sigPath,
        });
        if (result.status === 'pass') {
          sink.pass(this.id);
          continue;
        }
        const tampered = result.status === 'fail' && !result.verifiedBy;
        sink.add({
          check: this.id,
          status: result.status,
          category: tampered ? 'integrity' : 'trust',
          stream: stream.name,
          file: files.sigPath,
          expected: result.verifiedBy ? 'a pinned key' : 'a valid signature',
          actual: result.verifiedBy?.spkiSha256 ?? null,
          message: result.reason,
        });
      }
    }
  },
};
