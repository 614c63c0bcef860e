/**
 * The explanation artefacts of a package (explanations/<ref>.json). The format chains and checkpoints
 * records, not artefacts: a decision names its artefact by `explanationRef` (that name is covered by
 * the record's hash, the content is not). What vouches for the content is the object store that held
 * the archive (spec section 5: the manifest covers explanations), whose entry for each artefact travels
 * in manifest/explanations.jsonl, and, for the package as a whole, SHA256SUMS. So:
 *
 *   explanation-checksum  the bytes have the size, checksums and MD5 ETag the object store recorded
 *                         (fail: changed after it was stored); no entry: a trust warning, only
 *                         SHA256SUMS (the investigator) vouches for it;
 *   explanation-link      every artefact is named by a packaged decision, and every name a packaged
 *                         decision gives is carried (a missing one is a warning: the writer leaves out
 *                         what the case could not produce, and says so in package.json's notes).
 */
import { checksumsOfBuffer, parseChecksumValue, parseETag, type ChecksumAlgorithm } from '../archive/s3checksums.ts';
import type { FindingSink } from '../verify/findings.ts';
import { EXPLANATION_OBJECTS_FILE, explanationPath } from './format.ts';

const ALGORITHMS: ChecksumAlgorithm[] = ['CRC64NVME', 'CRC32', 'CRC32C', 'SHA1', 'SHA256'];

interface ObjectEntry {
  line: number;
  Key: string;
  ObjectSize?: unknown;
  ETag?: unknown;
  Checksum?: Record<string, unknown>;
  ObjectParts?: { Parts?: { PartNumber: number; Size: number }[] };
}

export interface PackageReadAccess {
  has(p: string): boolean;
  read(p: string): Promise<Buffer>;
}

/** Where the packaged decisions name each reference: the record file and line, and the decision id. */
export type NamedExplanations = Map<string, { file: string; line: number; decisionId?: string }[]>;

function partSizes(e: ObjectEntry): number[] | undefined {
  const parts = e.ObjectParts?.Parts;
  if (!Array.isArray(parts) || parts.length === 0) return undefined;
  if (!parts.every((p) => Number.isSafeInteger(p?.PartNumber) && Number.isSafeInteger(p?.Size))) return undefined;
  return [...parts].sort((a, b) => a.PartNumber - b.PartNumber).map((p) => p.Size);
}

async function readEntries(pkg: PackageReadAccess, sink: FindingSink): Promise<ObjectEntry[]> {
  if (!pkg.has(EXPLANATION_OBJECTS_FILE)) return [];
  const out: ObjectEntry[] = [];
  const lines = (await pkg.read(EXPLANATION_OBJECTS_FILE)).toString('utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v.Key !== 'string')
        throw new Error('no "Key"');
      out.push({ ...(v as object), line: i + 1 } as ObjectEntry);
    } catch (err) {
      sink.add({
        check: 'explanation-checksum',
        status: 'fail',
        category: 'integrity',
        file: EXPLANATION_OBJECTS_FILE,
        line: i + 1,
        message: `${EXPLANATION_OBJECTS_FILE}:${i + 1}: not an object-store entry (${(err as Error).message})`,
      });
    }
  });
  return out;
}

/** The entry whose key is the artefact's path, or ends with "/" + it (the archive's keyPrefix before it). */
function entryFor(entries: readonly ObjectEntry[], file: string): ObjectEntry | undefined {
  return entries.find((e) => e.Key === file || e.Key.endsWith(`/${file}`));
}

async function checkAgainstEntry(file: string, bytes: Buffer, e: ObjectEntry, sink: FindingSink): Promise<void> {
  const at = `${EXPLANATION_OBJECTS_FILE}:${e.line}`;
  const fail = (message: string, expected: unknown, actual: unknown) =>
    sink.add({ check: 'explanation-checksum', status: 'fail', category: 'integrity', file, expected, actual, message });
  let checked = 0;
  let failed = false;
  if (e.ObjectSize !== undefined) {
    checked++;
    if (e.ObjectSize !== bytes.length) {
      failed = true;
      fail(
        `${file} is ${bytes.length} bytes but the object store recorded ${String(e.ObjectSize)} (${at}): it was changed`,
        e.ObjectSize,
        bytes.length,
      );
    }
  }
  const sums = await checksumsOfBuffer(bytes, partSizes(e));
  const checksum = e.Checksum ?? {};
  const composite = checksum.ChecksumType === 'COMPOSITE';
  for (const alg of ALGORITHMS) {
    const value = checksum[`Checksum${alg}`];
    if (typeof value !== 'string') continue;
    const actual =
      composite || parseChecksumValue(value).parts !== undefined ? sums.composite?.[alg] : sums.fullObject[alg];
    if (actual === undefined) continue; // a composite value without part sizes cannot be recomputed
    checked++;
    if (actual !== value) {
      failed = true;
      fail(`${file}: its ${alg} differs from the one the object store recorded (${at}): it was changed`, value, actual);
    }
  }
  if (typeof e.ETag === 'string') {
    const etag = parseETag(e.ETag);
    const actual = etag.parts !== undefined ? sums.multipartETag : sums.md5;
    if (etag.checkable && actual !== undefined) {
      checked++;
      const expected = etag.parts !== undefined ? `${etag.md5}-${etag.parts}` : etag.md5;
      if (actual !== expected) {
        failed = true;
        fail(
          `${file}: its MD5 ETag differs from the one the object store recorded (${at}): it was changed`,
          expected,
          actual,
        );
      }
    }
  }
  if (checked === 0)
    sink.add({
      check: 'explanation-checksum',
      status: 'warn',
      category: 'trust',
      file,
      message: `${file}: its object-store entry (${at}) carries no size or checksum that can be recomputed; only SHA256SUMS vouches for it`,
    });
  else if (!failed) sink.pass('explanation-checksum');
}

/** Checks the package's explanation artefacts; returns how many it holds. */
export async function verifyPackageExplanations(
  pkg: PackageReadAccess,
  listed: readonly string[],
  named: NamedExplanations,
  sink: FindingSink,
): Promise<number> {
  const artefacts = listed.filter((f) => /^explanations\/.+\.json$/.test(f));
  const entries = await readEntries(pkg, sink);
  for (const file of artefacts) {
    const ref = file.slice('explanations/'.length, -'.json'.length);
    const bytes = await pkg.read(file);
    const entry = entryFor(entries, file);
    if (entry) await checkAgainstEntry(file, bytes, entry, sink);
    else
      sink.add({
        check: 'explanation-checksum',
        status: 'warn',
        category: 'trust',
        file,
        message: `${file}: the archive's object-store manifest did not list it, so only SHA256SUMS (the investigator) vouches for its content`,
      });
    if (!named.has(ref))
      sink.add({
        check: 'explanation-link',
        status: 'warn',
        category: 'completeness',
        file,
        message: `${file}: no packaged decision names "${ref}" as its explanationRef`,
      });
    else sink.pass('explanation-link');
  }
  const carried = new Set(artefacts);
  for (const [ref, places] of named) {
    const file = explanationPath(ref);
    if (carried.has(file)) continue;
    const p = places[0];
    sink.add({
      check: 'explanation-link',
      status: 'warn',
      category: 'completeness',
      file: p.file,
      line: p.line,
      message: `${p.file}:${p.line}: decision ${p.decisionId ?? '?'} names explanation "${ref}", which the package does not carry`,
    });
  }
  return artefacts.length;
}
