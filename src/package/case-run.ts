/**
 * The verification of a case opened from an evidence package (open-case.ts) is the package's own:
 * SHA256SUMS, the investigator's signature, every record hash, every inclusion proof against its
 * checkpoint, the checkpoints' signatures and time-stamps against the trust the regulator gives, the
 * explanation artefacts and the custody log. This module saves such a verification as a run in
 * case.sqlite (verification_runs + findings, the shape src/verify/case-run.ts writes), so the
 * verification dashboard, the explorer's and timeline's integrity marks and the report read it like any
 * other run; and runs it again on the copy of the package the case keeps, first checking that copy
 * against the SHA-256 recorded when the case was opened.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from '../archive/canonical.ts';
import { appendCustody } from '../case/custody.ts';
import type { CaseHandle, CaseOrigin } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { TrustStore } from '../verify/crypto/keys.ts';
import type { Finding, StreamVerdict } from '../verify/findings.ts';
import { SUMS_FILE } from './format.ts';
import { checkSourceCopies } from '../verify/source-copies-check.ts';
import { verifyEvidencePackage } from './verify.ts';
import type { PackageVerifyOptions, PackageVerifyReport } from './verify.ts';

/** What a saved package run says about one stream (the dashboard's StreamStatus, before its finding count). */
interface StreamSummary {
  name: string;
  kind?: string;
  verdict: StreamVerdict;
  reason: string;
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  checkpoints: number;
  anchoredRecords: number;
}

function findingKey(f: Pick<Finding, 'check' | 'status' | 'stream' | 'seq' | 'file'>): string {
  return JSON.stringify([f.check, f.status, f.stream ?? null, f.seq ?? null, f.file ?? null]);
}

/** Whether a finding is about a stream: names it, or names one of its files in the package. */
function concerns(f: Finding, stream: string): boolean {
  if (f.stream !== undefined) return f.stream === stream;
  const file = f.file ?? '';
  return (
    file === `records/${stream}.jsonl` || file === `proofs/${stream}.jsonl` || file.startsWith(`checkpoints/${stream}/`)
  );
}

function streamSummaries(report: PackageVerifyReport): Record<string, StreamSummary> {
  const out: Record<string, StreamSummary> = {};
  for (const s of report.streams) {
    const mine = report.findings.filter((f) => f.status !== 'pass' && concerns(f, s.stream));
    const broken = mine.find(
      (f) => f.status === 'fail' && (f.category === 'integrity' || f.category === 'completeness'),
    );
    const unverifiable = mine.find((f) => f.status === 'unverifiable' && f.category === 'integrity');
    let verdict: StreamVerdict = 'intact';
    let reason = `All ${s.records} records match their hashes and are proven members of the packaged checkpoints.`;
    if (broken) {
      verdict = broken.category === 'integrity' ? 'tampered' : 'incomplete';
      reason = broken.message;
    } else if (unverifiable) {
      verdict = 'unverifiable';
      reason = unverifiable.message;
    } else if (s.proven < s.records) {
      verdict = 'unanchored';
      reason = `${s.records - s.proven} of ${s.records} records are not proven against a packaged checkpoint.`;
    }
    const summary: StreamSummary = {
      name: s.stream,
      verdict,
      reason,
      records: s.records,
      checkpoints: s.checkpoints,
      anchoredRecords: s.proven,
    };
    if (s.kind) summary.kind = s.kind;
    if (s.firstSeq !== undefined) summary.firstSeq = s.firstSeq;
    if (s.lastSeq !== undefined) summary.lastSeq = s.lastSeq;
    out[s.stream] = summary;
  }
  return out;
}

export interface SavedPackageRun {
  runId: number;
  report: PackageVerifyReport;
}

/**
 * Saves a package verification as the case's newest verification run (and a custody entry), compared
 * with the previous run. `extraFindings` (e.g. the kept copy no longer matching) come first.
 */
export function savePackageRun(
  handle: CaseHandle,
  report: PackageVerifyReport,
  options: PackageVerifyOptions & { startedAt: string; packageFile: string; packageSha256: string },
): SavedPackageRun {
  const db = handle.sqlite;
  const trust = TrustStore.load({ pins: options.trustKeys ?? [], tsaAnchors: options.trustTsa ?? [] });
  const previous = db
    .prepare("SELECT id, summary FROM verification_runs WHERE status = 'done' ORDER BY id DESC LIMIT 1")
    .get() as { id: number; summary: string } | undefined;
  const previousKeys = new Set(
    previous
      ? (
          db
            .prepare('SELECT check_id AS "check", status, stream, seq, file FROM findings WHERE run_id = ?')
            .all(previous.id) as {
            check: string;
            status: Finding['status'];
            stream: string | null;
            seq: number | null;
            file: string | null;
          }[]
        ).map((f) =>
          findingKey({ ...f, stream: f.stream ?? undefined, seq: f.seq ?? undefined, file: f.file ?? undefined }),
        )
      : [],
  );
  const currentKeys = new Set(report.findings.map(findingKey));
  const comparison = {
    previousRunId: previous?.id,
    previousVerdict: previous ? (JSON.parse(previous.summary) as { verdict?: string }).verdict : undefined,
    newFindings: [...currentKeys].filter((k) => !previousKeys.has(k)).length,
    resolvedFindings: [...previousKeys].filter((k) => !currentKeys.has(k)).length,
    unchangedFindings: [...currentKeys].filter((k) => previousKeys.has(k)).length,
  };
  const parameters = {
    kind: 'evidence-package',
    package: { file: options.packageFile, sha256: options.packageSha256 },
    trustedKeys: trust.pinnedKeys.map((k) => ({ file: k.file, spkiSha256: k.spki.hex })),
    trustedFingerprints: [...trust.pinnedFingerprints],
    trustedTsaAnchors: trust.tsaAnchors.map((k) => ({
      file: k.file,
      subject: k.subject,
      sha256: k.certificateFingerprint?.hex,
    })),
    toolVersion: TOOL_VERSION,
  };
  const summary = {
    verdict: report.verdict,
    reason: report.reason,
    streams: streamSummaries(report),
    checks: report.checks,
    findingsDropped: 0,
    comparison,
    package: {
      files: report.files,
      records: report.records,
      provenRecords: report.provenRecords,
      signature: report.signature,
      checkpoints: report.checkpoints,
      custody: report.custody,
      explanations: report.explanations,
      ...(report.manifest ? { manifest: report.manifest } : {}),
    },
  };
  let runId = 0;
  db.transaction(() => {
    runId = Number(
      db
        .prepare(
          'INSERT INTO verification_runs (started_at, finished_at, status, actor, options, summary) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          options.startedAt,
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
    appendCustody(db, handle.actor, 'package.verified', {
      runId,
      verdict: report.verdict,
      findings: report.findings.length,
      ...parameters,
    });
  })();
  return { runId, report };
}

/** SHA-256 that identifies a package: of the zip, or of SHA256SUMS for an unpacked folder. */
export async function packageSha256(file: string, isFolder: boolean): Promise<string> {
  return sha256Hex(await readFile(isFolder ? path.join(file, SUMS_FILE) : file));
}

/**
 * Verifies a package case again: the copy of the package it keeps, with the trust given now. The copy
 * is first checked against the SHA-256 recorded when the case was opened (its custody record).
 */
export async function reverifyPackageCase(
  handle: CaseHandle,
  options: PackageVerifyOptions = {},
): Promise<SavedPackageRun> {
  handle.assertWritable();
  const origin: CaseOrigin | undefined = handle.info().origin;
  if (origin?.kind !== 'evidence-package')
    throw new AuditWsError('BAD_USAGE', `case "${handle.info().name}" was not opened from an evidence package`);
  const kept = path.join(handle.dir, origin.kept);
  if (!existsSync(kept))
    throw new AuditWsError(
      'NOT_FOUND',
      `${kept}: the copy of the evidence package this case was opened from is gone; open the package again as a new case`,
      { file: kept },
    );
  const startedAt = new Date().toISOString();
  const isFolder = !kept.toLowerCase().endsWith('.zip');
  const now = await packageSha256(kept, isFolder);
  const report = await verifyEvidencePackage(kept, options);
  if (now !== origin.sha256) {
    const f: Finding = {
      check: 'custody-source',
      status: 'fail',
      category: 'integrity',
      file: origin.kept,
      expected: origin.sha256,
      actual: now,
      message: `${origin.kept}: the package kept in the case changed since the case was opened (SHA-256 differs from the custody record).`,
    };
    report.findings.unshift(f);
    report.checks.push({ id: 'custody-source', pass: 0, fail: 1, warn: 0, unverifiable: 0 });
    report.verdict = 'tampered';
    report.reason = `${f.message} ${report.reason}`;
  } else report.checks.push({ id: 'custody-source', pass: 1, fail: 0, warn: 0, unverifiable: 0 });
  await checkSourceCopies(handle, report);
  return savePackageRun(handle, report, { ...options, startedAt, packageFile: kept, packageSha256: now });
}
