/**
 * Reads the object-store manifest (spec section 5) and checkpoint files (spec section 4) with exact
 * locations for every problem. Only the shape is checked here; whether the values are right is the
 * verifier's job.
 */
import { AuditWsError } from '../errors.ts';
import { describeJsonType, parseStrictJson, positionOf } from './jsontext.ts';
import { firstNonUtf8Line, readLines } from './lines.ts';
import { readSmallFile } from './open.ts';
import type { CheckpointFiles, OpenedArchive } from './open.ts';

export interface ManifestEntry {
  line: number;
  Key: string;
  ObjectSize?: number;
  ETag?: string;
  Checksum?: Record<string, string>;
  ObjectParts?: { TotalPartsCount?: number; Parts?: { PartNumber: number; Size: number; [k: string]: unknown }[] };
  ObjectLockMode?: string;
  ObjectLockRetainUntilDate?: string;
  ObjectLockLegalHoldStatus?: string;
  [k: string]: unknown;
}

function malformed(file: string, line: number | undefined, message: string): AuditWsError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new AuditWsError('MALFORMED_RECORD', `${where}: ${message}`, { file, line });
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks the members whose type the verifier relies on; an entry that fails is malformed at its line. */
function checkManifestEntry(file: string, line: number, v: Record<string, unknown>): ManifestEntry {
  const bad = (what: string): AuditWsError => malformed(file, line, what);
  if (typeof v.Key !== 'string' || v.Key === '') throw bad('"Key" must be a non-empty string');
  if (v.ObjectSize !== undefined && !(Number.isSafeInteger(v.ObjectSize) && (v.ObjectSize as number) >= 0)) {
    throw bad('"ObjectSize" must be a non-negative integer');
  }
  for (const m of ['ETag', 'ObjectLockMode', 'ObjectLockRetainUntilDate', 'ObjectLockLegalHoldStatus']) {
    if (v[m] !== undefined && v[m] !== null && typeof v[m] !== 'string') throw bad(`"${m}" must be a string`);
  }
  if (v.Checksum !== undefined && v.Checksum !== null) {
    if (!isObject(v.Checksum) || Object.values(v.Checksum).some((c) => typeof c !== 'string')) {
      throw bad('"Checksum" must be an object of strings');
    }
  }
  if (v.ObjectParts !== undefined && v.ObjectParts !== null) {
    if (!isObject(v.ObjectParts)) throw bad('"ObjectParts" must be an object');
    const parts = v.ObjectParts.Parts;
    if (parts !== undefined && parts !== null) {
      if (!Array.isArray(parts)) throw bad('"ObjectParts.Parts" must be an array');
      parts.forEach((p, i) => {
        if (!isObject(p) || !Number.isSafeInteger(p.PartNumber) || !Number.isSafeInteger(p.Size)) {
          throw bad(`"ObjectParts.Parts[${i}]" needs integer "PartNumber" and "Size"`);
        }
      });
    }
  }
  return { ...v, line } as ManifestEntry;
}

/** The entries of manifest/objects.jsonl in file order, or undefined when the archive has no manifest. */
export async function readManifest(archive: OpenedArchive): Promise<ManifestEntry[] | undefined> {
  const file = archive.files.find((f) => f.role === 'manifest');
  if (!file) return undefined;
  const entries: ManifestEntry[] = [];
  for await (const ev of readLines(file.absPath, { displayName: file.path })) {
    if (ev.kind === 'too-long') throw malformed(file.path, ev.line, `line longer than the limit (${ev.bytes} bytes)`);
    if (ev.kind === 'not-utf8') throw malformed(file.path, ev.line, 'line is not valid UTF-8');
    if (/^[ \t]*$/.test(ev.text)) continue;
    const parsed = parseStrictJson(ev.text);
    if (!parsed.ok) throw malformed(file.path, ev.line, `${parsed.message} (column ${parsed.offset + 1})`);
    if (!isObject(parsed.value))
      throw malformed(file.path, ev.line, `is ${describeJsonType(parsed.value)}, not a JSON object`);
    entries.push(checkManifestEntry(file.path, ev.line, parsed.value));
  }
  return entries;
}

export interface Checkpoint {
  stream: string;
  label: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  headHash: string;
  merkleRoot: string;
  prevCheckpointSha256: string | null;
  createdAt?: string;
  [k: string]: unknown;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The checkpoint's exact bytes (what .sig and .tsr cover) and its parsed value. Malformed JSON, a
 * duplicate member, or a member of the wrong type is an error naming the file and line.
 */
export async function readCheckpoint(
  archive: OpenedArchive,
  cp: CheckpointFiles,
): Promise<{ bytes: Buffer; value: Checkpoint }> {
  const bytes = await readSmallFile(archive, cp.path);
  const badLine = firstNonUtf8Line(bytes);
  if (badLine !== undefined) throw malformed(cp.path, badLine, 'not valid UTF-8');
  const text = bytes.toString('utf8');
  const parsed = parseStrictJson(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) {
    const { line, column } = positionOf(text, parsed.offset);
    throw malformed(cp.path, line, `${parsed.message} (column ${column})`);
  }
  if (!isObject(parsed.value)) throw malformed(cp.path, 1, `is ${describeJsonType(parsed.value)}, not a JSON object`);
  const v = parsed.value;
  const lineOf = (member: string): number | undefined => {
    const at = text.indexOf(`"${member}"`);
    return at === -1 ? undefined : positionOf(text, at).line;
  };
  const need = (member: string, ok: boolean, what: string): void => {
    if (!ok)
      throw malformed(
        cp.path,
        lineOf(member),
        v[member] === undefined ? `"${member}" is missing` : `"${member}" must be ${what}`,
      );
  };
  need('stream', typeof v.stream === 'string', 'a string');
  need('label', typeof v.label === 'string', 'a string');
  for (const m of ['firstSeq', 'lastSeq', 'count'])
    need(m, Number.isSafeInteger(v[m]) && (v[m] as number) >= 0, 'a non-negative integer');
  need('headHash', typeof v.headHash === 'string' && HEX64.test(v.headHash), '64 lowercase hex digits');
  need('merkleRoot', typeof v.merkleRoot === 'string' && HEX64.test(v.merkleRoot), '64 lowercase hex digits');
  need(
    'prevCheckpointSha256',
    v.prevCheckpointSha256 === null ||
      (typeof v.prevCheckpointSha256 === 'string' && HEX64.test(v.prevCheckpointSha256)),
    'null or 64 lowercase hex digits',
  );
  if (v.createdAt !== undefined) need('createdAt', typeof v.createdAt === 'string', 'a string');
  return { bytes, value: v as Checkpoint };
}
