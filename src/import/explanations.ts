/**
 * Explanation artefacts (spec section 1: `explanations/<ref>.json`, named by a decision's
 * `explanationRef`) kept with the evidence: each import loads the artefacts of its archives into
 * evidence.duckdb's `explanations` table, inside the import's DuckDB transaction, so a timeline reads
 * them from the case (src/query/explanations.ts) and an evidence package can carry them, without the
 * source archive. The bytes are appended in bulk (DuckDB's appender, inside the transaction) and
 * stored only when they hash to the SHA-256 the import recorded for the file (scan.ts):
 * a file that changed between the two reads is left out and said so. An artefact whose path and
 * SHA-256 the case already holds (the same archive imported again) is not stored twice.
 *
 * The spec does not chain or checkpoint explanations; their integrity rests on the object-store
 * manifest (section 5) and, in a package, on SHA256SUMS (see docs/evidence-package.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EXPLANATIONS_TABLE } from '../case/evidence-schema.ts';

/** Larger artefacts stay in the archive (the timeline reads them from there, as before). */
export const MAX_KEPT_EXPLANATION_BYTES = 16 * 1024 * 1024;

export interface ExplanationFile {
  sourceFileId: number;
  /** Archive-relative path: explanations/<ref>.json */
  path: string;
  /** Where the import reads it (the archive folder, or the container's extraction). */
  absPath: string;
  /** SHA-256 recorded for the file at import. */
  sha256: string;
  size: number;
}

export interface ExplanationsLoaded {
  loaded: number;
  /** Already in the case (same path and SHA-256). */
  alreadyKept: number;
  /** Left in the archive, with the reason. */
  notKept: { path: string; reason: string }[];
}

/** The reference an artefact path carries: explanations/<ref>.json -> <ref>. */
export function explanationRefOf(p: string): string | undefined {
  const m = /^explanations\/(.+)\.json$/i.exec(p);
  return m ? m[1] : undefined;
}

/** Loads the artefacts of one import (call inside the import's DuckDB transaction). */
export async function loadExplanations(
  duck: DuckDBConnection,
  importId: number,
  files: readonly ExplanationFile[],
): Promise<ExplanationsLoaded> {
  const result: ExplanationsLoaded = { loaded: 0, alreadyKept: 0, notKept: [] };
  if (files.length === 0) return result;
  const held = new Set(
    (await duck.runAndReadAll(`SELECT DISTINCT path || ' ' || sha256 FROM ${EXPLANATIONS_TABLE}`))
      .getRowsJS()
      .map((r) => String(r[0])),
  );
  const wanted: (ExplanationFile & { ref: string })[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const ref = explanationRefOf(f.path);
    const key = `${f.path} ${f.sha256}`;
    if (ref === undefined) result.notKept.push({ path: f.path, reason: 'not an explanations/<ref>.json path' });
    else if (f.size > MAX_KEPT_EXPLANATION_BYTES)
      result.notKept.push({
        path: f.path,
        reason: `${f.size} bytes, more than the ${MAX_KEPT_EXPLANATION_BYTES} kept in a case: read from the archive when shown`,
      });
    else if (held.has(key) || seen.has(key)) result.alreadyKept++;
    else {
      seen.add(key);
      wanted.push({ ...f, ref });
    }
  }
  // Read in Node and appended in the import's transaction: the appender's rows are the transaction's, so a
  // rollback takes them too. Measured against DuckDB's read_blob over the same 10,000 artefacts, this took
  // about a third of the time. Synchronous reads: small files, and fs/promises costs about 25x more per
  // file (scan.ts).
  const appender = await duck.createAppender(EXPLANATIONS_TABLE);
  try {
    for (const f of wanted) {
      const bytes = readSmallFile(f.absPath);
      if (!bytes) {
        result.notKept.push({ path: f.path, reason: 'no longer readable' });
        continue;
      }
      if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) {
        result.notKept.push({ path: f.path, reason: 'its bytes changed while it was imported (SHA-256 differs)' });
        continue;
      }
      appender.appendBigInt(BigInt(importId));
      appender.appendBigInt(BigInt(f.sourceFileId));
      appender.appendVarchar(f.path);
      appender.appendVarchar(f.ref);
      appender.appendVarchar(f.sha256);
      appender.appendBigInt(BigInt(bytes.length));
      appender.appendBlob(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      appender.endRow();
      result.loaded++;
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return result;
}

function readSmallFile(absPath: string): Buffer | undefined {
  try {
    return readFileSync(absPath);
  } catch {
    return undefined;
  }
}
