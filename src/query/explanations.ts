/**
 * Explanation artefacts (`explanations/<ref>.json`) for timelines. The importer records every archive
 * file in case.sqlite (path, SHA-256, size) and keeps the artefacts' bytes in evidence.duckdb's
 * `explanations` table (src/import/explanations.ts), so an artefact is read from the case; one the case
 * did not keep (imported before it kept them, or too large) is read from the archive it was imported from
 * (a folder, or one entry of a .zip / .tar / .tar.gz, found without extracting the rest). Either way it
 * is checked against the SHA-256 recorded at import.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipStream } from '../archive/gunzip.ts';
import type Database from 'better-sqlite3';
import type { DuckDBConnection } from '@duckdb/node-api';
import tar from 'tar-stream';
import { EXPLANATIONS_TABLE } from '../case/evidence-schema.ts';
import { evidenceConnectionFor } from '../case/store.ts';
import yauzl from 'yauzl';

/** Larger artefacts are not read for a timeline. */
const MAX_ARTEFACT_BYTES = 16 * 1024 * 1024;

export interface Artefact {
  /** Archive-relative path, as recorded at import. */
  path: string;
  bytes: Buffer;
  /** The bytes hash to the SHA-256 recorded at import. */
  unchanged: boolean;
}

interface SourceFileRow {
  archive: string;
  container: string;
  path: string;
  sha256: string;
  size: number;
  content: Buffer | null;
}

/** The artefact as the case keeps it in evidence.duckdb, if it does (an older case has no such table). */
async function keptExplanation(
  duck: DuckDBConnection,
  wanted: string,
): Promise<{ path: string; sha256: string; bytes: Buffer } | undefined> {
  try {
    const r = await duck.runAndReadAll(
      `SELECT path, sha256, content FROM ${EXPLANATIONS_TABLE} WHERE path = $path ORDER BY import_id DESC LIMIT 1`,
      { path: wanted },
    );
    const [row] = r.getRowsJS();
    if (!row) return undefined;
    return { path: String(row[0]), sha256: String(row[1]), bytes: Buffer.from(row[2] as Uint8Array) };
  } catch {
    return undefined;
  }
}

/**
 * The artefact named by `ref`, or a sentence saying why it cannot be shown. `duck` defaults to the
 * evidence connection of the open case that owns `sqlite`.
 */
export async function readExplanation(
  sqlite: Database.Database | undefined,
  ref: string,
  duck: DuckDBConnection | undefined = evidenceConnectionFor(sqlite),
): Promise<Artefact | { missing: string }> {
  const wanted = `explanations/${ref}.json`;
  const kept = duck ? await keptExplanation(duck, wanted) : undefined;
  if (kept) {
    // Judged against case.sqlite's record of the file when there is one (the custody record), else the row's own.
    let recorded = kept.sha256;
    try {
      const r = sqlite
        ?.prepare(
          "SELECT sha256 FROM source_files WHERE role = 'explanation' AND path = ? AND sha256 = ? ORDER BY id DESC LIMIT 1",
        )
        .get(wanted, kept.sha256) as { sha256: string } | undefined;
      if (sqlite && !r) recorded = '(not recorded)';
    } catch {
      // an older case.sqlite: the row's own digest is all there is
    }
    return { path: kept.path, bytes: kept.bytes, unchanged: sha256(kept.bytes) === recorded };
  }
  if (!sqlite) return { missing: 'the case database is not available' };
  let row: SourceFileRow | undefined;
  try {
    row = sqlite
      .prepare(
        "SELECT archive, container, path, sha256, size, content FROM source_files WHERE role = 'explanation' AND path = ? ORDER BY id DESC LIMIT 1",
      )
      .get(wanted) as SourceFileRow | undefined;
  } catch {
    return { missing: 'the case does not record its source files' };
  }
  if (!row) return { missing: `no ${wanted} was imported` };
  if (row.size > MAX_ARTEFACT_BYTES) return { missing: `${wanted} is ${row.size} bytes, too large to show here` };
  let bytes: Buffer | undefined = row.content ?? undefined;
  try {
    bytes ??= await readFromArchive(row.archive, row.container, row.path);
  } catch (err) {
    return {
      missing: `${wanted} could not be read from ${row.archive} (${err instanceof Error ? err.message : String(err)})`,
    };
  }
  if (!bytes) return { missing: `${wanted} is no longer in ${row.archive}` };
  return { path: row.path, bytes, unchanged: sha256(bytes) === row.sha256 };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readFromArchive(archive: string, container: string, member: string): Promise<Buffer | undefined> {
  if (container === 'folder') {
    const file = path.resolve(archive, member);
    if (!file.startsWith(path.resolve(archive) + path.sep)) return undefined;
    try {
      if (statSync(file).size > MAX_ARTEFACT_BYTES) return undefined;
      return readFileSync(file);
    } catch {
      return undefined;
    }
  }
  if (container === 'zip') return readZipMember(archive, member);
  if (container === 'tar' || container === 'tar.gz') return readTarMember(archive, member, container === 'tar.gz');
  return undefined;
}

/** Whether a container entry is `member` at the archive root or inside the one top-level folder. */
function isMember(entry: string, member: string): boolean {
  const e = entry.replace(/^\.\//, '');
  if (e === member) return true;
  const slash = e.indexOf('/');
  return slash > 0 && e.slice(slash + 1) === member;
}

function readZipMember(archive: string, member: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    yauzl.open(archive, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open'));
      zip.on('error', reject);
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!isMember(entry.fileName, member) || entry.uncompressedSize > MAX_ARTEFACT_BYTES) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('cannot read entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      zip.readEntry();
    });
  });
}

function readTarMember(archive: string, member: string, gzip: boolean): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    const source = createReadStream(archive);
    let found: Buffer | undefined;
    const stop = () => {
      source.destroy();
      extract.destroy();
    };
    extract.on('entry', (header, stream, next) => {
      if (header.type !== 'file' || !isMember(header.name, member) || (header.size ?? 0) > MAX_ARTEFACT_BYTES) {
        stream.on('end', next);
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        found = Buffer.concat(chunks);
        stop();
        resolve(found);
      });
    });
    extract.on('finish', () => resolve(found));
    extract.on('error', (e) => (found ? resolve(found) : reject(e)));
    source.on('error', reject);
    (gzip ? source.pipe(gunzipStream()).on('error', reject) : source).pipe(extract);
  });
}
