/**
 * Opens an audit archive (spec section 1) from a folder, a .zip, .tar or .tar.gz, or a single data file,
 * and lists what it holds: descriptor, data files with their stream and kind, checkpoints with their
 * .sig/.tsr, manifest, explanations and keys. Containers are extracted into a private temporary folder
 * (see containers.ts for the safety rules) that close() removes.
 *
 * Stream of a data file, first rule that applies (documented in docs/archive-reading.md):
 *   1. the `stream` member of its first record;
 *   2. the descriptor stream whose `files` lists it;
 *   3. the descriptor stream of the file's kind, when the descriptor has exactly one of that kind;
 *   4. the name of a folder on its path when `checkpoints/<that name>/` exists;
 *   5. DEFAULT_STREAM of its kind.
 * Per record, a `stream` member always wins over the file's stream (see assignRecord).
 */
import { promises as fsp, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { AuditWsError } from '../errors.ts';
import { DEFAULT_EXTRACT_LIMITS, extractTar, extractZip } from './containers.ts';
import type { ExtractLimits } from './containers.ts';
import { parseStrictJson, positionOf } from './jsontext.ts';
import { firstNonUtf8Line } from './lines.ts';
import { DEFAULT_STREAM, RECORD_KINDS, detectKind } from './kinds.ts';
import type { RecordKind } from './kinds.ts';
import { formatOfPath, isRecordError, readRecords } from './records.ts';

export type ContainerType = 'folder' | 'zip' | 'tar' | 'tar.gz' | 'file';
export type FileRole =
  | 'descriptor'
  | 'data'
  | 'checkpoint'
  | 'checkpoint-signature'
  | 'checkpoint-timestamp'
  | 'manifest'
  | 'explanation'
  | 'key'
  | 'other';

export interface ArchiveFile {
  /** posix, relative to the archive root */
  path: string;
  absPath: string;
  size: number;
  role: FileRole;
  format?: 'jsonl' | 'jsonl.gz' | 'parquet';
  stream?: string;
  kind?: RecordKind;
}

export interface CheckpointFiles {
  stream: string;
  label: string;
  path: string;
  sigPath?: string;
  tsrPath?: string;
}

export interface ArchiveDescriptor {
  format?: string;
  formatVersion?: string;
  producer?: unknown;
  system?: { name?: string; operator?: string };
  exportedAt?: string;
  keyPrefix?: string;
  streams?: { name: string; kind: RecordKind; files?: string[] }[];
  [k: string]: unknown;
}

export interface OpenedArchive {
  /** the path given */
  source: string;
  container: ContainerType;
  /** folder on disk that paths are relative to */
  root: string;
  descriptor?: ArchiveDescriptor;
  files: ArchiveFile[];
  checkpoints: CheckpointFiles[];
  warnings: string[];
  /** Removes the temporary extraction folder (if any); safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Total bytes a container may extract to (default 20 GiB). */
  maxExtractBytes?: number;
  /** Largest decompressed:compressed ratio of a container (default 200), judged past 1 MiB. */
  maxExpansionRatio?: number;
  /** Most entries a container may hold (default 1,000,000). */
  maxEntries?: number;
  /** Folder in which the temporary extraction folder is made (default: the OS temp folder). */
  tempParent?: string;
}

const DESCRIPTOR_PATH = 'archive.json';
const MANIFEST_PATH = 'manifest/objects.jsonl';
const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;
/** Records looked at to tell a file's kind by content before giving up. */
const KIND_PEEK_RECORDS = 20;
/** Files that archivers add and that are never evidence. */
const IGNORED_TOP_LEVEL = new Set(['__MACOSX', '.DS_Store']);

export async function openArchive(path: string, options: OpenOptions = {}): Promise<OpenedArchive> {
  const source = path;
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new AuditWsError('NOT_FOUND', `${path}: no such file or folder`, { file: path });
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${path}: cannot be read (${(err as Error).message})`,
      { file: path },
      { cause: err },
    );
  }

  if (stat.isDirectory()) return openFolder(source, 'folder', resolve(path), undefined);
  if (!stat.isFile()) throw new AuditWsError('UNSUPPORTED', `${path}: not a regular file or folder`, { file: path });

  const container = await containerOf(path);
  if (container === 'file') return openSingleFile(source, resolve(path), stat.size);

  const limits: ExtractLimits = {
    maxExtractBytes: options.maxExtractBytes ?? DEFAULT_EXTRACT_LIMITS.maxExtractBytes,
    maxExpansionRatio: options.maxExpansionRatio ?? DEFAULT_EXTRACT_LIMITS.maxExpansionRatio,
    maxEntries: options.maxEntries ?? DEFAULT_EXTRACT_LIMITS.maxEntries,
  };
  const tempDir = await fsp.mkdtemp(join(options.tempParent ?? tmpdir(), 'audit-ws-archive-'));
  const removeTemp = async (): Promise<void> => {
    await fsp.rm(tempDir, { recursive: true, force: true });
  };
  try {
    if (container === 'zip') await extractZip(source, path, tempDir, limits);
    else await extractTar(source, path, tempDir, container === 'tar.gz', limits);
    const root = await singleTopFolder(tempDir);
    return await openFolder(source, container, root, removeTemp);
  } catch (err) {
    await removeTemp();
    throw err;
  }
}

/** A container holding one top-level folder (plus archiver litter) has that folder as its root. */
async function singleTopFolder(dir: string): Promise<string> {
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => !IGNORED_TOP_LEVEL.has(e.name));
  if (entries.length === 1 && entries[0].isDirectory()) return join(dir, entries[0].name);
  return dir;
}

/** Tells the container type from the name, then from the first bytes when the name says nothing. */
async function containerOf(path: string): Promise<Exclude<ContainerType, 'folder'>> {
  const lower = path.toLowerCase();
  if (formatOfPath(lower)) return 'file';
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.tar')) return 'tar';
  const head = await readHead(path, 512);
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'zip';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw new AuditWsError(
    'UNSUPPORTED',
    `${path}: not a folder, .zip, .tar, .tar.gz or data file (.jsonl, .ndjson, .jsonl.gz, .parquet)`,
    { file: path },
  );
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function openSingleFile(source: string, absPath: string, size: number): Promise<OpenedArchive> {
  const archive: OpenedArchive = {
    source,
    container: 'file',
    root: dirname(absPath),
    files: [{ path: basename(absPath), absPath, size, role: 'data', format: formatOfPath(absPath) }],
    checkpoints: [],
    warnings: [],
    close: async () => {},
  };
  await assignStreams(archive);
  return archive;
}

interface WalkedFile {
  path: string;
  absPath: string;
  size: number;
}

/** Every regular file under root; links are skipped (with a warning) so nothing outside root is read. */
async function walk(root: string, warnings: string[]): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const entries = await fsp.readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (rel === '' && IGNORED_TOP_LEVEL.has(e.name)) continue;
      if (e.isSymbolicLink()) {
        warnings.push(`${childRel}: symbolic link skipped (an archive's files must be regular files)`);
      } else if (e.isDirectory()) {
        pending.push(childRel);
      } else if (e.isFile()) {
        const absPath = join(root, childRel);
        // Synchronous: archives hold thousands of small files, and fs/promises' stat took 0.27 ms each.
        out.push({ path: childRel, absPath, size: statSync(absPath).size });
      } else {
        warnings.push(`${childRel}: special file skipped`);
      }
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The role a path plays in the layout of spec section 1. */
export function roleOfPath(path: string): { role: FileRole; format?: ArchiveFile['format'] } {
  if (path === DESCRIPTOR_PATH) return { role: 'descriptor' };
  if (path === MANIFEST_PATH) return { role: 'manifest' };
  const parts = path.split('/');
  const lower = path.toLowerCase();
  if (parts[0] === 'checkpoints' && parts.length === 3) {
    if (lower.endsWith('.json')) return { role: 'checkpoint' };
    if (lower.endsWith('.json.sig')) return { role: 'checkpoint-signature' };
    if (lower.endsWith('.json.tsr')) return { role: 'checkpoint-timestamp' };
  }
  if (parts[0] === 'explanations' && lower.endsWith('.json')) return { role: 'explanation' };
  if (parts[0] === 'keys' && parts.length === 2 && lower.endsWith('.pem')) return { role: 'key' };
  // Data files live anywhere except in the folders the layout reserves for other things.
  if (!['checkpoints', 'manifest', 'keys', 'explanations'].includes(parts[0])) {
    const format = formatOfPath(path);
    if (format) return { role: 'data', format };
  }
  return { role: 'other' };
}

async function openFolder(
  source: string,
  container: ContainerType,
  root: string,
  cleanup: (() => Promise<void>) | undefined,
): Promise<OpenedArchive> {
  const warnings: string[] = [];
  const walked = await walk(root, warnings);
  const files: ArchiveFile[] = walked.map((w) => {
    const { role, format } = roleOfPath(w.path);
    const f: ArchiveFile = { path: w.path, absPath: w.absPath, size: w.size, role };
    if (format) f.format = format;
    return f;
  });
  if (!files.some((f) => f.role === 'data')) {
    const what = walked.length === 0 ? 'is empty' : 'holds no data file (.jsonl, .ndjson, .jsonl.gz or .parquet)';
    throw new AuditWsError('EMPTY_ARCHIVE', `${source}: ${what}`, { file: source });
  }

  let closed = false;
  const archive: OpenedArchive = {
    source,
    container,
    root,
    files,
    checkpoints: checkpointsOf(files, warnings),
    warnings,
    close: async () => {
      if (closed) return;
      closed = true;
      await cleanup?.();
    },
  };
  const descriptorFile = files.find((f) => f.role === 'descriptor');
  if (descriptorFile) archive.descriptor = await readDescriptor(descriptorFile, warnings);
  await assignStreams(archive);
  return archive;
}

function checkpointsOf(files: ArchiveFile[], warnings: string[]): CheckpointFiles[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: CheckpointFiles[] = [];
  for (const f of files) {
    if (f.role === 'checkpoint') {
      const [, stream, name] = f.path.split('/');
      const cp: CheckpointFiles = { stream, label: name.slice(0, -'.json'.length), path: f.path };
      if (byPath.has(`${f.path}.sig`)) cp.sigPath = `${f.path}.sig`;
      if (byPath.has(`${f.path}.tsr`)) cp.tsrPath = `${f.path}.tsr`;
      out.push(cp);
    } else if (f.role === 'checkpoint-signature' || f.role === 'checkpoint-timestamp') {
      if (!byPath.has(f.path.slice(0, -4))) warnings.push(`${f.path}: no checkpoint ${f.path.slice(0, -4)} beside it`);
    } else if (f.path.startsWith('checkpoints/') && f.role === 'other') {
      warnings.push(`${f.path}: not where a checkpoint belongs (checkpoints/<stream>/<label>.json), ignored`);
    }
  }
  return out.sort((a, b) => (a.stream === b.stream ? cmp(a.label, b.label) : cmp(a.stream, b.stream)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads archive.json; malformed JSON is an error naming archive.json:line, odd members are warnings. */
async function readDescriptor(file: ArchiveFile, warnings: string[]): Promise<ArchiveDescriptor> {
  if (file.size > MAX_DESCRIPTOR_BYTES) {
    throw new AuditWsError('LIMIT_EXCEEDED', `${file.path}: larger than ${MAX_DESCRIPTOR_BYTES} bytes`, {
      file: file.path,
    });
  }
  const bytes = await fsp.readFile(file.absPath);
  const badLine = firstNonUtf8Line(bytes);
  if (badLine !== undefined) {
    throw new AuditWsError('MALFORMED_RECORD', `${file.path}:${badLine}: not valid UTF-8`, {
      file: file.path,
      line: badLine,
    });
  }
  const text = bytes.toString('utf8');
  const parsed = parseStrictJson(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) {
    const { line, column } = positionOf(text, parsed.offset);
    throw new AuditWsError('MALFORMED_RECORD', `${file.path}:${line}: ${parsed.message} (column ${column})`, {
      file: file.path,
      line,
    });
  }
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new AuditWsError('MALFORMED_RECORD', `${file.path}:1: the descriptor must be a JSON object`, {
      file: file.path,
      line: 1,
    });
  }
  const d = v as ArchiveDescriptor;
  if (d.format !== undefined && d.format !== 'ai-audit-archive')
    warnings.push(`${file.path}: format is ${JSON.stringify(d.format)}, expected "ai-audit-archive"`);
  if (typeof d.formatVersion === 'string' && !d.formatVersion.startsWith('1.')) {
    warnings.push(`${file.path}: formatVersion ${d.formatVersion} is newer than this reader (1.x); read as 1.x`);
  }
  if (d.streams !== undefined) {
    if (!Array.isArray(d.streams)) {
      warnings.push(`${file.path}: "streams" is not an array, ignored`);
      delete d.streams;
    } else {
      const seen = new Set<string>();
      d.streams = d.streams.filter((s, i) => {
        const ok =
          s !== null &&
          typeof s === 'object' &&
          typeof s.name === 'string' &&
          s.name !== '' &&
          RECORD_KINDS.includes(s.kind);
        if (!ok) {
          warnings.push(
            `${file.path}: streams[${i}] needs a "name" and a "kind" (${RECORD_KINDS.join(', ')}), ignored`,
          );
          return false;
        }
        if (seen.has(s.name))
          warnings.push(`${file.path}: stream ${JSON.stringify(s.name)} is listed twice; the first entry is used`);
        seen.add(s.name);
        if (s.files !== undefined && (!Array.isArray(s.files) || s.files.some((p) => typeof p !== 'string'))) {
          warnings.push(`${file.path}: streams[${i}].files is not a list of paths, ignored`);
          delete s.files;
        }
        return true;
      });
    }
  }
  return d;
}

/** A descriptor path as an archive path: "./a", "/a" and keyPrefix-prefixed keys all name "a". */
function descriptorPath(p: string, keyPrefix: string | undefined): string {
  let out = p.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
  if (keyPrefix && out.startsWith(keyPrefix)) out = out.slice(keyPrefix.length);
  return out;
}

/**
 * Data files peeked at once: a Parquet peek is one DuckDB query that decompresses the first row group on
 * one thread (about 55 ms for a day of 70,000 decisions), so several run side by side.
 */
const PEEK_CONCURRENCY = 4;

/** `fn` over `items` with at most `limit` running at once; results in the order of `items`. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Kind and stream member of the first records of a data file, without reading it all. */
async function peek(
  archive: OpenedArchive,
  file: ArchiveFile,
): Promise<{ kind?: RecordKind; stream?: string; records: number; firstError?: string; warning?: string }> {
  let kind: RecordKind | undefined;
  let stream: string | undefined;
  let records = 0;
  let firstError: string | undefined;
  try {
    for await (const r of readRecords(archive, file, { onError: 'yield', maxRows: KIND_PEEK_RECORDS })) {
      if (isRecordError(r)) {
        firstError ??= `${r.file}${r.line !== undefined ? `:${r.line}` : r.row !== undefined ? ` row ${r.row}` : ''}: ${r.message}`;
        if (records === 0 && r.row !== undefined) break; // an unreadable Parquet file yields one error
        continue;
      }
      records++;
      if (records === 1 && typeof r.value.stream === 'string') stream = r.value.stream;
      kind ??= detectKind(r.value);
      if (kind || records >= KIND_PEEK_RECORDS) break;
    }
  } catch (err) {
    // An unreadable file is reported when its records are read; here it just has no detectable kind.
    if (!(err instanceof AuditWsError)) throw err;
    return { kind, stream, records, firstError, warning: `${file.path}: ${err.message}` };
  }
  return { kind, stream, records, firstError };
}

/**
 * Sets stream and kind of every data file (rule in the header comment). The kind comes from the
 * descriptor stream the file ends up in, else from its content.
 */
async function assignStreams(archive: OpenedArchive): Promise<void> {
  const d = archive.descriptor;
  const streams = d?.streams ?? [];
  const keyPrefix = typeof d?.keyPrefix === 'string' ? d.keyPrefix : undefined;
  const listedIn = new Map<string, string>();
  const dataPaths = new Set(archive.files.filter((f) => f.role === 'data').map((f) => f.path));
  for (const s of streams) {
    for (const p of s.files ?? []) {
      const path = descriptorPath(p, keyPrefix);
      if (!dataPaths.has(path)) {
        archive.warnings.push(
          `archive.json lists ${p} under stream ${JSON.stringify(s.name)}, but the archive holds no such data file`,
        );
      } else if (listedIn.has(path) && listedIn.get(path) !== s.name) {
        archive.warnings.push(
          `archive.json lists ${p} under two streams; ${JSON.stringify(listedIn.get(path))} is used`,
        );
      } else listedIn.set(path, s.name);
    }
  }
  const checkpointStreams = new Set(archive.checkpoints.map((c) => c.stream));

  const dataFiles = archive.files.filter((f) => f.role === 'data');
  const peeks = await mapConcurrently(dataFiles, PEEK_CONCURRENCY, (f) => peek(archive, f));
  for (const [i, file] of dataFiles.entries()) {
    const seen = peeks[i];
    if (seen.warning) archive.warnings.push(seen.warning);
    const byName = (name: string | undefined) =>
      name === undefined ? undefined : streams.find((s) => s.name === name);
    let stream = seen.stream ?? listedIn.get(file.path);
    const kindForRules = byName(stream)?.kind ?? seen.kind;
    if (stream === undefined && kindForRules) {
      const ofKind = streams.filter((s) => s.kind === kindForRules);
      if (ofKind.length === 1) stream = ofKind[0].name;
    }
    stream ??= folderStream(file.path, checkpointStreams);
    if (stream === undefined && kindForRules) stream = DEFAULT_STREAM[kindForRules];
    const declared = byName(stream)?.kind;
    const kind = declared ?? seen.kind;
    if (declared && seen.kind && declared !== seen.kind) {
      archive.warnings.push(
        `${file.path}: archive.json says stream ${JSON.stringify(stream)} holds ${declared} records, but its first records look like ${seen.kind} records`,
      );
    }
    if (stream !== undefined) file.stream = stream;
    if (kind !== undefined) file.kind = kind;
    if (kind === undefined) {
      archive.warnings.push(
        seen.records === 0
          ? (seen.firstError ?? `${file.path}: holds no records`)
          : `${file.path}: record kind not recognised from its first ${seen.records} record(s); no stream assigned`,
      );
    }
  }
}

/** The nearest folder on the path whose name has a checkpoints/<name>/ folder. */
function folderStream(path: string, checkpointStreams: Set<string>): string | undefined {
  const folders = path.split('/').slice(0, -1).reverse();
  return folders.find((f) => checkpointStreams.has(f));
}

const fallbackCache = new WeakMap<ArchiveFile, string | undefined>();

/**
 * Stream and kind of one record read from `file`: its own `stream` member, else the file's stream
 * computed without the first record's `stream` member; kind from the descriptor stream, else from the
 * record's content, else the file's kind.
 */
export function assignRecord(
  archive: OpenedArchive,
  file: ArchiveFile,
  value: Record<string, unknown>,
): { stream?: string; kind?: RecordKind } {
  const streams = archive.descriptor?.streams ?? [];
  let stream: string | undefined;
  if (typeof value.stream === 'string' && value.stream !== '') stream = value.stream;
  else {
    if (!fallbackCache.has(file)) fallbackCache.set(file, fileFallbackStream(archive, file));
    stream = fallbackCache.get(file);
  }
  const declared = stream === undefined ? undefined : streams.find((s) => s.name === stream)?.kind;
  const kind = declared ?? detectKind(value) ?? file.kind;
  if (stream === undefined && kind) stream = DEFAULT_STREAM[kind];
  return { stream, kind };
}

/** The file's stream by rules 2-5 (what a record without a `stream` member belongs to). */
function fileFallbackStream(archive: OpenedArchive, file: ArchiveFile): string | undefined {
  const d = archive.descriptor;
  const streams = d?.streams ?? [];
  const keyPrefix = typeof d?.keyPrefix === 'string' ? d.keyPrefix : undefined;
  const listed = streams.find((s) => (s.files ?? []).some((p) => descriptorPath(p, keyPrefix) === file.path));
  if (listed) return listed.name;
  if (file.kind) {
    const ofKind = streams.filter((s) => s.kind === file.kind);
    if (ofKind.length === 1) return ofKind[0].name;
  }
  const folder = folderStream(file.path, new Set(archive.checkpoints.map((c) => c.stream)));
  if (folder) return folder;
  return file.kind ? DEFAULT_STREAM[file.kind] : undefined;
}

const filesByPath = new WeakMap<OpenedArchive, { count: number; byPath: Map<string, ArchiveFile> }>();

/**
 * The archive's file at `path`, through an index kept per archive (an archive of 10M decisions has about
 * 105,000 files, and a search per lookup made reading every explanation quadratic).
 */
export function archiveFileByPath(archive: OpenedArchive, path: string): ArchiveFile | undefined {
  let index = filesByPath.get(archive);
  if (!index || index.count !== archive.files.length) {
    const byPath = new Map<string, ArchiveFile>();
    for (const f of archive.files) if (!byPath.has(f.path)) byPath.set(f.path, f); // the first, as a search finds
    index = { count: archive.files.length, byPath };
    filesByPath.set(archive, index);
  }
  return index.byPath.get(path);
}

/** Reads a small archive file (checkpoint, explanation) whole; refuses files over `max` bytes. */
export async function readSmallFile(archive: OpenedArchive, path: string, max = 16 * 1024 * 1024): Promise<Buffer> {
  const file = archiveFileByPath(archive, path);
  if (!file) throw new AuditWsError('NOT_FOUND', `${path}: not in the archive ${archive.source}`, { file: path });
  if (file.size > max) throw new AuditWsError('LIMIT_EXCEEDED', `${path}: larger than ${max} bytes`, { file: path });
  return fsp.readFile(file.absPath);
}
