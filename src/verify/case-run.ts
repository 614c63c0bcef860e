import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ChecksumPool, InOrderAhead, checksumPoolMinBytes, fileSha256 } from '../archive/checksum-pool.ts';
import { archiveFileByPath, openArchive, type OpenedArchive } from '../archive/open.ts';
import { appendCustody } from '../case/custody.ts';
import { diskError } from '../case/fs-errors.ts';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { verifyArchives, type VerifyReport } from './engine.ts';
import type { Finding } from './findings.ts';
import { checkSourceCopies } from './source-copies-check.ts';
import { trustStoreFor } from './trust.ts';
import type { VerifyOptions } from './types.ts';

export interface RunComparison {
  previousRunId?: number;
  previousVerdict?: string;
  newFindings: number;
  resolvedFindings: number;
  unchangedFindings: number;
}

export interface CaseVerification {
  runId: number;
  report: VerifyReport;
  comparison: RunComparison;
}

interface SourceFileRow {
  archive: string;
  path: string;
  sha256: string;
  role: string;
}

function findingKey(f: Pick<Finding, 'check' | 'status' | 'stream' | 'seq' | 'file'>): string {
  return JSON.stringify([f.check, f.status, f.stream ?? null, f.seq ?? null, f.file ?? null]);
}

/**
 * Verifies every archive imported into a case as one body of evidence, first checking that each source
 * file still has the SHA-256 recorded at import (chain of custody), then saves the run with its
 * parameters and findings in case.sqlite, compares it with the previous run and logs it in custody.
 */
export async function verifyCase(handle: CaseHandle, options: VerifyOptions = {}): Promise<CaseVerification> {
  handle.refuseIfReadOnly('re-verify source archives it does not have');
  const db = handle.sqlite;
  const rows = db
    .prepare(
      `SELECT s.archive, s.path, s.sha256, s.role FROM source_files s JOIN imports i ON i.id = s.import_id
       WHERE i.status = 'done' AND s.skipped IS NULL ORDER BY s.id`,
    )
    .all() as SourceFileRow[];
  const archivePaths = [...new Set(rows.map((r) => r.archive))];
  if (archivePaths.length === 0)
    throw new AuditWsError('BAD_USAGE', 'The case has no imported archives to verify; import one first.');
  const trust = trustStoreFor(options); // bad --trust arguments fail before anything is read
  const startedAt = new Date().toISOString();
  const archives: OpenedArchive[] = [];
  const custodyFindings: Finding[] = [];
  let report: VerifyReport;
  try {
    for (const p of archivePaths) {
      const abs = isAbsolute(p) ? p : resolve(p);
      if (!existsSync(abs))
        throw new AuditWsError(
          'NOT_FOUND',
          `${p}: the archive imported into this case is no longer there; put it back or re-import it.`,
          { file: p },
        );
      archives.push(await openArchive(abs));
    }
    const located = rows.map((r) => archiveFileByPath(archives[archivePaths.indexOf(r.archive)], r.path));
    const bytes = located.reduce((n, f) => n + (f?.size ?? 0), 0);
    // Node hashes on the thread that feeds it: a large case's files are hashed by a pool of workers
    const pool = bytes >= checksumPoolMinBytes() ? new ChecksumPool() : undefined;
    const ahead = new InOrderAhead(rows.length, 2 * (pool?.size ?? 0), (i) => {
      const file = located[i];
      return file && fileSha256(file.absPath, pool);
    });
    try {
      for (const [index, r] of rows.entries()) {
        const hashed = ahead.take(index);
        const file = located[index];
        if (!file) {
          custodyFindings.push({
            check: 'custody-source',
            status: 'fail',
            category: 'completeness',
            file: r.path,
            message: `${r.path} was imported from ${r.archive} but is no longer in it.`,
          });
          continue;
        }
        const now = await hashed!;
        if (now !== r.sha256)
          custodyFindings.push({
            check: 'custody-source',
            status: 'fail',
            category: 'integrity',
            file: r.path,
            expected: r.sha256,
            actual: now,
            message: `${r.path} in ${r.archive} changed since it was imported into this case (SHA-256 differs from the custody record).`,
          });
      }
    } finally {
      await pool?.close();
    }
    report = await verifyArchives(archives, options);
  } finally {
    for (const a of archives) await a.close();
  }
  if (custodyFindings.length > 0) {
    report.findings.unshift(...custodyFindings);
    report.verdict = 'tampered';
    report.reason = `${custodyFindings[0].message} ${report.reason}`;
  }
  report.checks.push({
    id: 'custody-source',
    pass: rows.length - custodyFindings.length,
    fail: custodyFindings.length,
    warn: 0,
    unverifiable: 0,
  });
  await checkSourceCopies(handle, report);

  const previous = db
    .prepare('SELECT id, summary FROM verification_runs WHERE status = ? ORDER BY id DESC LIMIT 1')
    .get('done') as { id: number; summary: string } | undefined;
  const previousKeys = new Set(
    previous
      ? (
          db
            .prepare('SELECT check_id AS "check", status, stream, seq, file FROM findings WHERE run_id = ?')
            .all(previous.id) as Finding[]
        ).map((f) =>
          findingKey({ ...f, stream: f.stream ?? undefined, seq: f.seq ?? undefined, file: f.file ?? undefined }),
        )
      : [],
  );
  const currentKeys = new Set(report.findings.map(findingKey));
  const comparison: RunComparison = {
    previousRunId: previous?.id,
    previousVerdict: previous ? (JSON.parse(previous.summary) as { verdict?: string }).verdict : undefined,
    newFindings: [...currentKeys].filter((k) => !previousKeys.has(k)).length,
    resolvedFindings: [...previousKeys].filter((k) => !currentKeys.has(k)).length,
    unchangedFindings: [...currentKeys].filter((k) => previousKeys.has(k)).length,
  };

  const parameters = {
    retention: report.parameters.retention,
    trustedKeys: trust.pinnedKeys.map((k) => ({ file: k.file, spkiSha256: k.spki.hex })),
    trustedFingerprints: [...trust.pinnedFingerprints],
    trustedTsaAnchors: trust.tsaAnchors.map((k) => ({
      file: k.file,
      subject: k.subject,
      sha256: k.certificateFingerprint?.hex,
    })),
    toolVersion: TOOL_VERSION,
    archives: archivePaths,
  };
  const summary = {
    verdict: report.verdict,
    reason: report.reason,
    streams: report.streams,
    checks: report.checks,
    findingsDropped: report.findingsDropped,
    comparison,
  };
  let runId = 0;
  const save = db.transaction(() => {
    runId = Number(
      db
        .prepare(
          'INSERT INTO verification_runs (started_at, finished_at, status, actor, options, summary) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          startedAt,
          new Date().toISOString(),
          'done',
          handle.actor,
          JSON.stringify(parameters),
          JSON.stringify(summary),
        ).lastInsertRowid,
    );
    const insert = db.prepare(
      'INSERT INTO findings (run_id, check_id, status, stream, seq, file, line, row, message, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const f of report.findings) {
      insert.run(
        runId,
        f.check,
        f.status,
        f.stream ?? null,
        f.seq ?? null,
        f.file ?? null,
        f.line ?? null,
        f.row ?? null,
        f.message,
        JSON.stringify({ category: f.category, seqEnd: f.seqEnd, expected: f.expected, actual: f.actual }),
      );
    }
    appendCustody(db, handle.actor, 'verify', {
      runId,
      verdict: report.verdict,
      findings: report.findings.length,
      ...parameters,
    });
  });
  try {
    save();
  } catch (err) {
    throw diskError(err, join(handle.dir, 'case.sqlite'), 'saving the verification run (it was not saved)');
  }
  return { runId, report, comparison };
}
