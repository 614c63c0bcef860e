import { readManifest, type ManifestEntry } from '../../archive/manifest.ts';
import type { ArchiveFile, OpenedArchive } from '../../archive/open.ts';
import { ChecksumPool, InOrderAhead, checksumPoolMinBytes } from '../../archive/checksum-pool.ts';
import {
  checksumsOfFile,
  parseChecksumValue,
  parseETag,
  type ChecksumAlgorithm,
  type ObjectChecksums,
} from '../../archive/s3checksums.ts';
import type { FindingSink } from '../findings.ts';
import type { ArchiveCheck, VerifyContext } from '../types.ts';

const COVERED_ROLES = new Set(['data', 'checkpoint', 'checkpoint-signature', 'checkpoint-timestamp', 'explanation']);
const LOCKED_ROLES = new Set(['checkpoint', 'checkpoint-signature', 'checkpoint-timestamp']);
const ALGORITHMS: ChecksumAlgorithm[] = ['CRC64NVME', 'CRC32', 'CRC32C', 'SHA1', 'SHA256'];
const MANIFEST_PATH = 'manifest/objects.jsonl';

function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

function partSizes(entry: ManifestEntry): number[] | undefined {
  const parts = entry.ObjectParts?.Parts;
  if (!Array.isArray(parts) || parts.length === 0) return undefined;
  return [...parts].sort((a, b) => a.PartNumber - b.PartNumber).map((p) => p.Size);
}

/** The algorithms the entry gives a value for (only those are computed: the CRCs cost the most). */
function wantedOf(entry: ManifestEntry): (ChecksumAlgorithm | 'MD5')[] {
  const checksum = entry.Checksum ?? {};
  const wanted: (ChecksumAlgorithm | 'MD5')[] = ALGORITHMS.filter(
    (alg) => typeof checksum[`Checksum${alg}`] === 'string',
  );
  if (entry.ETag !== undefined && parseETag(String(entry.ETag)).checkable) wanted.push('MD5');
  return wanted;
}

async function checkObject(
  archive: OpenedArchive,
  entry: ManifestEntry,
  file: ArchiveFile,
  ctx: VerifyContext,
  sink: FindingSink,
  computed?: Promise<ObjectChecksums>,
): Promise<void> {
  const base = { file: file.path, category: 'integrity' as const };
  const id = 'manifest-object';
  if (entry.ObjectSize !== undefined && entry.ObjectSize !== file.size) {
    sink.add({
      ...base,
      check: id,
      status: 'fail',
      expected: entry.ObjectSize,
      actual: file.size,
      message: `${file.path} is ${file.size} bytes but the object store recorded ${entry.ObjectSize} bytes (manifest line ${entry.line}).`,
    });
  }
  const sizes = partSizes(entry);
  const checksum = entry.Checksum ?? {};
  const sums = await (computed ?? checksumsOfFile(file.absPath, sizes, wantedOf(entry)));
  const type = checksum.ChecksumType ?? 'FULL_OBJECT';
  let checked = 0;
  for (const alg of ALGORITHMS) {
    const value = checksum[`Checksum${alg}`];
    if (typeof value !== 'string') continue;
    checked++;
    const { parts } = parseChecksumValue(value);
    let actual: string | undefined;
    if (type === 'COMPOSITE' || parts !== undefined) {
      if (!sizes) {
        sink.add({
          ...base,
          check: id,
          status: 'unverifiable',
          category: 'coverage',
          expected: value,
          message: `The composite ${alg} of ${file.path} cannot be checked: the manifest gives no part sizes (ObjectParts).`,
        });
        continue;
      }
      actual = sums.composite?.[alg];
    } else {
      actual = sums.fullObject[alg];
    }
    if (actual === value) sink.pass(id);
    else
      sink.add({
        ...base,
        check: id,
        status: 'fail',
        expected: value,
        actual,
        message: `The ${alg} checksum of ${file.path} differs from the one the object store recorded: the file changed after it was stored.`,
      });
  }
  if (entry.ETag !== undefined) {
    const etag = parseETag(String(entry.ETag));
    if (!etag.checkable) {
      sink.add({
        ...base,
        check: 'manifest-etag',
        status: 'unverifiable',
        category: 'coverage',
        expected: entry.ETag,
        message: `The ETag of ${file.path} is not an MD5 (e.g. SSE-KMS encryption), so it is not checkable.`,
      });
    } else {
      checked++;
      const actual = etag.parts !== undefined ? (sizes ? sums.multipartETag : undefined) : sums.md5;
      const expected = etag.parts !== undefined ? `${etag.md5}-${etag.parts}` : etag.md5;
      if (actual === undefined)
        sink.add({
          ...base,
          check: 'manifest-etag',
          status: 'unverifiable',
          category: 'coverage',
          expected,
          message: `The multipart ETag of ${file.path} cannot be checked: the manifest gives no part sizes.`,
        });
      else if (actual === expected) sink.pass('manifest-etag');
      else
        sink.add({
          ...base,
          check: 'manifest-etag',
          status: 'fail',
          expected,
          actual,
          message: `The ETag (MD5) of ${file.path} differs from the one the object store recorded: the file changed after it was stored.`,
        });
    }
  }
  if (checked === 0)
    sink.add({
      ...base,
      check: id,
      status: 'unverifiable',
      category: 'coverage',
      message: `The manifest entry for ${file.path} (line ${entry.line}) carries no checksum and no MD5 ETag.`,
    });

  if (LOCKED_ROLES.has(file.role)) checkLock(entry, file, ctx, sink);
}

function checkLock(entry: ManifestEntry, file: ArchiveFile, ctx: VerifyContext, sink: FindingSink): void {
  const mode = entry.ObjectLockMode;
  if (mode === 'COMPLIANCE') sink.pass('object-lock');
  else
    sink.add({
      check: 'object-lock',
      status: 'warn',
      category: 'compliance',
      file: file.path,
      expected: 'COMPLIANCE',
      actual: mode ?? null,
      message:
        mode === 'GOVERNANCE'
          ? `${file.path} is stored under GOVERNANCE-mode Object Lock, which privileged users can bypass; checkpoints need COMPLIANCE mode.`
          : `${file.path} is not stored under Object Lock: the checkpoint could be overwritten or deleted in the store.`,
    });
  const until = entry.ObjectLockRetainUntilDate ? new Date(entry.ObjectLockRetainUntilDate) : undefined;
  const from = entry.LastModified ? new Date(String(entry.LastModified)) : undefined;
  if (!until || Number.isNaN(until.getTime())) {
    if (mode)
      sink.add({
        check: 'retention',
        status: 'fail',
        category: 'compliance',
        file: file.path,
        message: `${file.path} has no valid Object Lock retain-until date.`,
      });
    return;
  }
  const reference = from && !Number.isNaN(from.getTime()) ? from : ctx.now;
  const required = addMonths(reference, ctx.retention.months);
  if (until.getTime() >= required.getTime()) sink.pass('retention');
  else
    sink.add({
      check: 'retention',
      status: 'fail',
      category: 'compliance',
      file: file.path,
      expected: `>= ${required.toISOString()}`,
      actual: until.toISOString(),
      message: `${file.path} is retained until ${until.toISOString().slice(0, 10)}, less than ${ctx.retention.label} from ${reference.toISOString().slice(0, 10)}.`,
    });
}

/** S3 manifest: sizes, checksums, ETags, listed-but-missing, present-but-unlisted, Object Lock and retention. */
export const manifestCheck: ArchiveCheck = {
  id: 'manifest',
  title: 'Object-store manifest',
  category: 'integrity',
  async run(ctx, sink) {
    for (const archive of ctx.archives) {
      const entries = await readManifest(archive);
      if (!entries) {
        sink.add({
          check: 'manifest-present',
          status: 'warn',
          category: 'coverage',
          file: MANIFEST_PATH,
          message: `${archive.source} has no object-store manifest: file checksums and Object Lock cannot be checked.`,
        });
        continue;
      }
      const prefix = archive.descriptor?.keyPrefix ?? '';
      const byPath = new Map(archive.files.map((f) => [f.path, f]));
      const listed = new Set<string>();
      const pathOf = (entry: ManifestEntry): string => {
        const key = String(entry.Key ?? '');
        return prefix && key.startsWith(prefix) ? key.slice(prefix.length) : key;
      };
      // A large archive's files are summed by a pool of workers, a few files ahead of the checks, which
      // still run (and report) in manifest order.
      const bytes = entries.reduce((n, e) => n + (byPath.get(pathOf(e))?.size ?? 0), 0);
      const pool = bytes >= checksumPoolMinBytes() ? new ChecksumPool() : undefined;
      const ahead = pool
        ? new InOrderAhead(entries.length, 2 * pool.size, (i) => {
            const file = byPath.get(pathOf(entries[i]));
            return file && pool.checksums(file.absPath, partSizes(entries[i]), wantedOf(entries[i]));
          })
        : undefined;
      try {
        for (const [index, entry] of entries.entries()) {
          if (ctx.options.signal?.aborted) return;
          const computed = ahead?.take(index);
          const path = pathOf(entry);
          listed.add(path);
          const file = byPath.get(path);
          if (!file) {
            sink.add({
              check: 'manifest-missing',
              status: 'fail',
              category: 'completeness',
              file: path,
              message: `${path} is listed in the manifest (line ${entry.line}) but is not in the archive.`,
            });
            continue;
          }
          await checkObject(archive, entry, file, ctx, sink, computed);
        }
      } finally {
        await pool?.close();
      }
      for (const file of archive.files) {
        if (!COVERED_ROLES.has(file.role) || listed.has(file.path)) continue;
        sink.add({
          check: 'manifest-unlisted',
          status: 'fail',
          category: 'integrity',
          file: file.path,
          message: `${file.path} is in the archive but not in the object-store manifest: it was not exported from the store as listed.`,
        });
      }
    }
  },
};
