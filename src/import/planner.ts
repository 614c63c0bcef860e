/**
 * What an import will read: each input opened with the archive reader (src/archive/open.ts: folder,
 * .zip, .tar, .tar.gz or a single data file) and the files it holds, each with its role, and for data
 * files the stream and kind the reader assigned. Opening everything first means a missing or unsafe
 * input is refused before the case is touched.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { assignRecord, openArchive } from '../archive/open.ts';
import type { ArchiveFile, OpenedArchive } from '../archive/open.ts';
import type { RecordKind } from '../archive/kinds.ts';

export interface PlannedFile {
  archive: OpenedArchive;
  /** The archive's file, or for a .zip / .tar input the container file itself (role 'container'). */
  file: ArchiveFile | ContainerFile;
  isData: boolean;
}

/** A container file (.zip, .tar, .tar.gz) as received: hashed for the custody record, not read as data. */
export interface ContainerFile {
  path: string;
  absPath: string;
  size: number;
  role: 'container';
}

export interface ImportPlan {
  inputs: string[];
  archives: OpenedArchive[];
  files: PlannedFile[];
  /** Removes the archives' temporary extractions. */
  close(): Promise<void>;
}

export async function planImport(inputs: readonly string[]): Promise<ImportPlan> {
  const archives: OpenedArchive[] = [];
  const close = async (): Promise<void> => {
    for (const a of archives) await a.close();
  };
  try {
    for (const input of inputs) archives.push(await openArchive(input));
  } catch (err) {
    await close();
    throw err;
  }
  const files: PlannedFile[] = [];
  for (const archive of archives) {
    if (archive.container !== 'folder' && archive.container !== 'file') {
      const absPath = path.resolve(archive.source);
      files.push({
        archive,
        file: { path: path.basename(absPath), absPath, size: statSync(absPath).size, role: 'container' },
        isData: false,
      });
    }
    for (const file of archive.files)
      files.push({ archive, file, isData: file.role === 'data' && file.format !== undefined });
  }
  return { inputs: [...inputs], archives, files, close };
}

/** The stream a data file's records fall back to, and the kinds its archive's descriptor declares. */
export function streamRules(
  archive: OpenedArchive,
  file: ArchiveFile,
): { fileStream?: string; declaredStreams: Map<string, RecordKind> } {
  const declaredStreams = new Map<string, RecordKind>();
  for (const s of archive.descriptor?.streams ?? [])
    if (!declaredStreams.has(s.name)) declaredStreams.set(s.name, s.kind);
  const fallback = assignRecord(archive, file, {});
  const out: { fileStream?: string; declaredStreams: Map<string, RecordKind> } = { declaredStreams };
  if (fallback.stream !== undefined) out.fileStream = fallback.stream;
  return out;
}
