import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditWsError } from '../../errors.ts';
import { verifyTimestamp } from '../crypto/timestamp.ts';
import { archiveKeys, trustStoreFor } from '../trust.ts';
import type { ArchiveCheck } from '../types.ts';

/** Each checkpoint's RFC 3161 token covers its exact bytes, signed by a TSA chaining to a supplied anchor. */
export const timestampCheck: ArchiveCheck = {
  id: 'checkpoint-timestamp',
  title: 'Checkpoint time-stamps (RFC 3161)',
  category: 'integrity',
  async run(ctx, sink) {
    const trust = trustStoreFor(ctx.options);
    for (const stream of ctx.streams) {
      for (const cp of stream.checkpoints) {
        const { files, archive, bytes } = cp;
        if (!files.tsrPath) {
          sink.add({
            check: this.id,
            status: 'warn',
            category: 'trust',
            stream: stream.name,
            file: files.path,
            message: `${files.path} has no RFC 3161 time-stamp (.tsr): nothing independent proves when it existed.`,
          });
          continue;
        }
        try {
          const result = await verifyTimestamp({
            checkpointBytes: bytes,
            tokenBytes: await readFile(join(archive.root, files.tsrPath)),
            tokenFile: files.tsrPath,
            checkpointFile: files.path,
            anchors: trust.tsaAnchors,
            extraCertificates: archiveKeys(archive).keys.filter((k) => k.kind === 'certificate'),
          });
          if (result.status === 'pass') {
            sink.pass(this.id);
            continue;
          }
          const broken = result.checks.some(
            (c) => c.status === 'fail' && (c.name === 'imprint' || c.name === 'signature'),
          );
          sink.add({
            check: this.id,
            status: result.status,
            category: broken ? 'integrity' : 'trust',
            stream: stream.name,
            file: files.tsrPath,
            expected: result.imprint?.expected,
            actual: result.imprint?.value,
            message: `${result.reason}${result.genTime ? ` (genTime ${result.genTime})` : ''}`,
          });
        } catch (err) {
          if (!(err instanceof AuditWsError)) throw err;
          sink.add({
            check: this.id,
            status: 'fail',
            category: 'integrity',
            stream: stream.name,
            file: files.tsrPath,
            message: err.message,
          });
        }
      }
    }
  },
};
