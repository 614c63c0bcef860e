/**
 * Check `custody-copy`: the case's copies of its data files (src/case/source-copies.ts), from which every
 * record's text is shown and packaged, still have the SHA-256 recorded when they were made. A copy edited
 * or removed inside the case folder would otherwise show an investigator, or put in a package, text that
 * the archive never held. Files imported before the copies (text in evidence.duckdb) have none to check.
 */
import { existsSync } from 'node:fs';
import { ChecksumPool, InOrderAhead, checksumPoolMinBytes, fileSha256 } from '../archive/checksum-pool.ts';
import { SOURCES_DIR, copyFormatOf, copyPaths } from '../case/source-copies.ts';
import type { CaseHandle } from '../case/store.ts';
import type { Finding, StreamVerdict } from './findings.ts';

export const COPY_CHECK_ID = 'custody-copy';
export const COPY_CHECK_TITLE = 'Copies of the data files kept in the case unchanged';

interface CopyRow {
  path: string;
  sha256: string;
  format: string | null;
  copy_sha256: string;
  size: number;
}

/** What the check adds to: an archive's or a package's verification report. */
interface ReportLike {
  findings: Finding[];
  checks: { id: string; pass: number; fail: number; warn: number; unverifiable: number }[];
  verdict: StreamVerdict;
  reason: string;
}

/** Re-hashes every copy a finished import made; adds the findings and the check's counts to `report`. */
export async function checkSourceCopies(handle: CaseHandle, report: ReportLike): Promise<void> {
  const rows = handle.sqlite
    .prepare(
      `SELECT s.path, s.sha256, s.format, s.copy_sha256, s.size FROM source_files s JOIN imports i ON i.id = s.import_id
       WHERE i.status = 'done' AND s.role = 'data' AND s.skipped IS NULL AND s.copy_sha256 IS NOT NULL
       GROUP BY s.sha256 ORDER BY min(s.id)`,
    )
    .all() as CopyRow[];
  if (rows.length === 0) return;
  const findings: Finding[] = [];
  const copies = rows.map((r) => {
    const format = copyFormatOf(r.format);
    return format ? copyPaths(handle.dir, r.sha256, format) : undefined;
  });
  const bytes = rows.reduce((n, r) => n + r.size, 0);
  const pool = bytes >= checksumPoolMinBytes() ? new ChecksumPool() : undefined;
  const ahead = new InOrderAhead(rows.length, 2 * (pool?.size ?? 0), (i) => {
    const copy = copies[i];
    if (!copy || !existsSync(copy.data) || (copy.lines && !existsSync(copy.lines))) return undefined;
    return fileSha256(copy.data, pool);
  });
  try {
    for (const [i, r] of rows.entries()) {
      const hashed = ahead.take(i);
      const name = `${SOURCES_DIR}/${r.sha256}.${copyFormatOf(r.format) ?? '?'}`;
      if (hashed === undefined) {
        findings.push({
          check: COPY_CHECK_ID,
          status: 'fail',
          category: 'completeness',
          file: r.path,
          message: `The case's copy of ${r.path} (${name}, or its line index) is missing: the text of its records cannot be shown.`,
        });
        continue;
      }
      const now = await hashed;
      if (now !== r.copy_sha256)
        findings.push({
          check: COPY_CHECK_ID,
          status: 'fail',
          category: 'integrity',
          file: r.path,
          expected: r.copy_sha256,
          actual: now,
          message: `The case's copy of ${r.path} (${name}) changed since it was imported: the record text shown from it cannot be trusted (SHA-256 differs).`,
        });
    }
  } finally {
    await pool?.close();
  }
  if (findings.length > 0) {
    report.findings.unshift(...findings);
    // A changed copy is tampering; a missing one leaves the evidence incomplete (unless worse was found).
    if (findings.some((f) => f.category === 'integrity')) report.verdict = 'tampered';
    else if (report.verdict !== 'tampered') report.verdict = 'incomplete';
    report.reason = `${findings[0].message} ${report.reason}`;
  }
  report.checks.push({
    id: COPY_CHECK_ID,
    pass: rows.length - findings.length,
    fail: findings.length,
    warn: 0,
    unverifiable: 0,
  });
}
