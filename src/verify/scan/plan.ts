import { closeSync, openSync, readSync } from 'node:fs';
import type { ArchiveFile } from '../../archive/open.ts';
import type { ChunkJob } from './scan-chunk.ts';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Cuts a plain JSONL file into byte ranges that start on line boundaries, so workers can hash them
 * independently (every record carries its own hash and its predecessor's). A gzip file is one range.
 */
export function planChunks(file: ArchiveFile, chunkBytes = DEFAULT_CHUNK_BYTES): ChunkJob[] {
  const gzip = file.format === 'jsonl.gz';
  if (gzip || file.size <= chunkBytes) return [{ absPath: file.absPath, displayPath: file.path, start: 0, gzip }];
  const jobs: ChunkJob[] = [];
  const fd = openSync(file.absPath, 'r');
  try {
    const probe = Buffer.alloc(64 * 1024);
    let start = 0;
    while (start < file.size) {
      let cut = start + chunkBytes;
      if (cut >= file.size) {
        jobs.push({ absPath: file.absPath, displayPath: file.path, start, gzip });
        break;
      }
      // move the cut just past the next newline (a line may be longer than the probe)
      let found = -1;
      while (found < 0 && cut < file.size) {
        const n = readSync(fd, probe, 0, probe.length, cut);
        if (n <= 0) break;
        const nl = probe.subarray(0, n).indexOf(0x0a);
        if (nl >= 0) found = cut + nl + 1;
        else cut += n;
      }
      if (found < 0 || found >= file.size) {
        jobs.push({ absPath: file.absPath, displayPath: file.path, start, gzip });
        break;
      }
      jobs.push({ absPath: file.absPath, displayPath: file.path, start, end: found, gzip });
      start = found;
    }
  } finally {
    closeSync(fd);
  }
  return jobs;
}
