/**
 * Safe extraction of .zip, .tar and .tar.gz archives into a private temporary folder. An archive under
 * investigation is untrusted input: entries that would land outside the folder (`..`, absolute paths),
 * links, device files, duplicate entries, and decompression bombs are refused with an error naming the
 * archive and the entry, before anything is written outside the temporary folder.
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { gunzipStream } from './gunzip.ts';
import * as tarStream from 'tar-stream';
import yauzl from 'yauzl';
import { AuditWsError } from '../errors.ts';

export interface ExtractLimits {
  /** Total bytes the extraction may write (and, for .tar.gz, decompress). */
  maxExtractBytes: number;
  /** Decompressed bytes per byte of the archive on disk, enforced once past RATIO_FLOOR_BYTES. */
  maxExpansionRatio: number;
  maxEntries: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxExtractBytes: 20 * 1024 ** 3,
  maxExpansionRatio: 200,
  maxEntries: 1_000_000,
};

/** Below this many decompressed bytes the ratio is not judged: tiny archives can have any ratio harmlessly. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/** Counts decompressed bytes against the limits; throws LIMIT_EXCEEDED naming the archive and the entry. */
class ExtractionBudget {
  private produced = 0;
  private entries = 0;
  constructor(
    private readonly archive: string,
    private readonly compressedSize: number | undefined,
    private readonly limits: ExtractLimits,
  ) {}

  countEntry(entry: string): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new AuditWsError(
        'LIMIT_EXCEEDED',
        `${this.archive}: more than ${this.limits.maxEntries} entries (at ${entry})`,
        {
          file: this.archive,
          entry,
        },
      );
    }
  }

  /** Refuses before extraction when an entry already declares more than the budget allows. */
  checkDeclared(entry: string, uncompressed: number, compressed: number): void {
    if (this.produced + uncompressed > this.limits.maxExtractBytes) this.tooBig(entry);
    if (uncompressed > RATIO_FLOOR_BYTES && uncompressed > this.limits.maxExpansionRatio * Math.max(compressed, 1)) {
      this.bomb(entry, uncompressed / Math.max(compressed, 1));
    }
  }

  add(bytes: number, entry: string): void {
    this.produced += bytes;
    if (this.produced > this.limits.maxExtractBytes) this.tooBig(entry);
    if (this.compressedSize !== undefined && this.produced > RATIO_FLOOR_BYTES) {
      const ratio = this.produced / Math.max(this.compressedSize, 1);
      if (ratio > this.limits.maxExpansionRatio) this.bomb(entry, ratio);
    }
  }

  private tooBig(entry: string): never {
    throw new AuditWsError(
      'LIMIT_EXCEEDED',
      `${this.archive}: extracting ${entry} would exceed the limit of ${this.limits.maxExtractBytes} bytes`,
      { file: this.archive, entry, limit: this.limits.maxExtractBytes },
    );
  }

  private bomb(entry: string, ratio: number): never {
    throw new AuditWsError(
      'LIMIT_EXCEEDED',
      `${this.archive}: ${entry} expands more than ${this.limits.maxExpansionRatio}:1 (${Math.round(ratio)}:1), refused as a decompression bomb`,
      { file: this.archive, entry, ratio, limit: this.limits.maxExpansionRatio },
    );
  }
}

function unsafe(archive: string, entry: string, why: string): AuditWsError {
  return new AuditWsError('UNSAFE_ARCHIVE', `${archive}: entry ${JSON.stringify(entry)} refused: ${why}`, {
    file: archive,
    entry,
  });
}

/**
 * The entry's path relative to the extraction folder, or undefined for the root itself. Backslashes
 * count as separators (archivers on Windows write them), so `..\\x` is caught like `../x`.
 */
export function safeEntryPath(archive: string, name: string): string | undefined {
  if (name.includes('\0')) throw unsafe(archive, name, 'NUL character in the name');
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) throw unsafe(archive, name, 'absolute path');
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafe(archive, name, 'path with ".." would escape the archive folder');
  return segments.length === 0 ? undefined : segments.join('/');
}

function destinationOf(archive: string, destDir: string, name: string, rel: string): string {
  const dest = resolve(destDir, rel);
  if (!dest.startsWith(destDir + sep)) throw unsafe(archive, name, 'path escapes the archive folder');
  return dest;
}

async function writeEntry(
  archive: string,
  name: string,
  dest: string,
  data: NodeJS.ReadableStream,
  count?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  // Until the copy starts, an error of the entry's stream (a zip entry's inflater finding bad data)
  // has no listener and would be thrown as an uncaught exception; keep it, and drop the stream if the
  // copy never starts.
  let early: unknown;
  data.on('error', (err: unknown) => {
    early ??= err;
  });
  const discard = (): void => {
    (data as unknown as { destroy?: () => void }).destroy?.();
  };
  try {
    await mkdirFor(archive, name, dirname(dest));
  } catch (err) {
    discard();
    throw err;
  }
  if (early !== undefined) {
    discard();
    throw early;
  }
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        count?.(chunk.length);
        cb(null, chunk);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  try {
    // 'wx' never overwrites: a second entry with the same path is refused rather than silently winning.
    await pipeline(data, counter, createWriteStream(dest, { flags: 'wx' }), ...(signal ? [{ signal }] : []));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw unsafe(archive, name, 'duplicate entry');
    if ((err as NodeJS.ErrnoException).code === 'EISDIR')
      throw unsafe(archive, name, 'a file and a folder share this path');
    throw err;
  }
}

async function mkdirFor(archive: string, name: string, dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw unsafe(archive, name, 'a file and a folder share this path');
    throw err;
  }
}

function unreadable(archive: string, what: string, err: unknown, entry?: string): AuditWsError {
  if (err instanceof AuditWsError) return err;
  const why = err instanceof Error ? err.message : String(err);
  const at = entry ? ` at entry ${JSON.stringify(entry)}` : '';
  return new AuditWsError(
    'UNREADABLE_INPUT',
    `${archive}: ${what}${at} (${why})`,
    { file: archive, entry },
    { cause: err },
  );
}

// Unix file types in the high 16 bits of a zip entry's external attributes.
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Extracts a zip archive into destDir (which must exist and be empty). */
export async function extractZip(
  archive: string,
  absPath: string,
  destDir: string,
  limits: ExtractLimits,
): Promise<void> {
  const size = (await fsp.stat(absPath)).size;
  const budget = new ExtractionBudget(archive, size, limits);
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: yauzl's own name check would fail with a generic error; ours names the entry.
    zip = await new Promise<yauzl.ZipFile>((ok, fail) =>
      yauzl.open(
        absPath,
        { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true },
        (err, z) => (err ? fail(err) : ok(z)),
      ),
    );
  } catch (err) {
    throw unreadable(archive, 'not a readable zip file (truncated or corrupt)', err);
  }

  let current: string | undefined;
  const handleEntry = async (entry: yauzl.Entry): Promise<void> => {
    const name = yauzl.getFileNameLowLevel(
      entry.generalPurposeBitFlag,
      entry.fileName as unknown as Buffer,
      entry.extraFields,
      false,
    );
    current = name;
    budget.countEntry(name);
    const rel = safeEntryPath(archive, name);
    const madeByUnix = entry.versionMadeBy >> 8 === 3;
    const type = madeByUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
    if (type === S_IFLNK) throw unsafe(archive, name, 'symbolic link');
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
      throw unsafe(archive, name, 'device file or other special file');
    if (rel === undefined) return;
    const dest = destinationOf(archive, destDir, name, rel);
    if (name.endsWith('/') || type === S_IFDIR) {
      await mkdirFor(archive, name, dest);
      return;
    }
    if (entry.isEncrypted())
      throw unreadable(archive, 'encrypted entries are not supported', new Error('encrypted'), name);
    budget.checkDeclared(name, entry.uncompressedSize, entry.compressedSize);
    const data = await new Promise<NodeJS.ReadableStream>((ok, fail) =>
      zip.openReadStream(entry, (err, s) => (err ? fail(err) : ok(s))),
    );
    await writeEntry(archive, name, dest, data, (n) => budget.add(n, name));
  };

  try {
    await new Promise<void>((ok, fail) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        handleEntry(entry).then(
          () => zip.readEntry(),
          (err) => {
            zip.close();
            fail(err);
          },
        );
      });
      zip.on('end', () => ok());
      zip.on('error', fail);
      zip.readEntry();
    });
  } catch (err) {
    throw unreadable(archive, 'truncated or corrupt zip data', err, current);
  }
}

const ACCEPTED_TAR_TYPES = new Set(['file', 'contiguous-file', 'directory']);

/** Extracts a tar archive (gzip-compressed when `gzipped`) into destDir (which must exist and be empty). */
export async function extractTar(
  archive: string,
  absPath: string,
  destDir: string,
  gzipped: boolean,
  limits: ExtractLimits,
): Promise<void> {
  const size = (await fsp.stat(absPath)).size;
  // For .tar.gz the ratio is judged on the decompressed tar stream; a plain tar cannot expand.
  const budget = new ExtractionBudget(archive, gzipped ? size : undefined, limits);
  let current = '(archive header)';
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        budget.add(chunk.length, current);
        cb(null, chunk);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  const extract = tarStream.extract();
  let feedError: unknown;
  // A tar that ends inside an entry destroys that entry's stream, possibly before its copy has started
  // (while its folder is being made); a copy started on a destroyed stream would wait forever, so a
  // failure of the feed aborts the copy in progress.
  const feedFailed = new AbortController();
  const feeding = (
    gzipped
      ? pipeline(createReadStream(absPath), gunzipStream(), counter, extract)
      : pipeline(createReadStream(absPath), counter, extract)
  ).catch((err: unknown) => {
    feedError = err;
    feedFailed.abort();
  });

  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      current = name;
      budget.countEntry(name);
      const type = entry.header.type ?? 'file';
      if (type === 'symlink')
        throw unsafe(archive, name, `symbolic link to ${JSON.stringify(entry.header.linkname ?? '')}`);
      if (type === 'link') throw unsafe(archive, name, `hard link to ${JSON.stringify(entry.header.linkname ?? '')}`);
      if (!ACCEPTED_TAR_TYPES.has(type)) throw unsafe(archive, name, `${type} entries are not allowed`);
      const rel = safeEntryPath(archive, name);
      if (rel === undefined || type === 'directory') {
        if (rel !== undefined) await mkdirFor(archive, name, destinationOf(archive, destDir, name, rel));
        entry.resume();
        continue;
      }
      // The decompressed bytes are already counted by the counter in front of the tar parser.
      await writeEntry(
        archive,
        name,
        destinationOf(archive, destDir, name, rel),
        entry as unknown as NodeJS.ReadableStream,
        undefined,
        feedFailed.signal,
      );
    }
  } catch (err) {
    extract.destroy();
    await feeding;
    // A bomb or read failure surfaces in the parser (or as an aborted copy) as a generic error; report
    // the original cause. Our own refusals (unsafe entries) stay as they are.
    throw classifyTarError(archive, err instanceof AuditWsError ? err : (feedError ?? err), gzipped, current);
  }
  await feeding;
  if (feedError) throw classifyTarError(archive, feedError, gzipped, current);
}

function classifyTarError(archive: string, err: unknown, gzipped: boolean, entry: string): AuditWsError {
  if (err instanceof AuditWsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (gzipped && typeof code === 'string' && code.startsWith('Z_'))
    return unreadable(archive, 'truncated or corrupt gzip data', err, entry);
  return unreadable(archive, gzipped ? 'truncated or corrupt tar.gz' : 'truncated or corrupt tar', err, entry);
}
