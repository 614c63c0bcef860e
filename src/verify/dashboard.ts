/**
 * The verification dashboard's side of a case: what can be trusted (the keys the archives offer), running
 * the verification service (src/verify/case-run.ts verifyCase, which re-reads the imported archives, checks
 * them against the custody record and saves the run in case.sqlite) with the trust the investigator chose,
 * and the saved runs read back as the dashboard shows them. The contract (src/contract/case-verification.ts)
 * and the report call it from here.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { sha256Hex } from '../archive/canonical.ts';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { parseKeyMaterial } from './crypto/keys.ts';
import { statedGenTime } from './crypto/timestamp.ts';
import { verifyCase as verifyCaseRun } from './case-run.ts';
import { reverifyPackageCase } from '../package/case-run.ts';
import type { VerifyReport } from './engine.ts';
import { archiveChecks, recordChecks } from './checks/index.ts';
import { COPY_CHECK_ID, COPY_CHECK_TITLE } from './source-copies-check.ts';
import { isRetentionPolicy, RETENTION_POLICIES, type RetentionPolicyName, type VerifyProgress } from './types.ts';
import type {
  DashboardJson,
  CheckCount,
  CheckpointPoint,
  FindingRow,
  OfferedKey,
  StreamStatus,
  Verdict,
  VerificationRunSummary,
  VerificationView,
  VerifyOptionsView,
  VerifyRequestOptions,
} from './dashboard-types.ts';

export const DEFAULT_VERIFY_OPTIONS: VerifyRequestOptions = {
  retention: 'eu-ai-act',
  trustKeys: [],
  trustTsa: [],
  trustFingerprints: [],
  trustKeyFiles: [],
  trustTsaFiles: [],
};

/** Archives of the case's finished imports, oldest first, and whether each is still where it was. */
export function caseArchives(sqlite: Database.Database): { path: string; exists: boolean }[] {
  const rows = sqlite
    .prepare(
      `SELECT s.archive, min(s.id) AS first FROM source_files s JOIN imports i ON i.id = s.import_id
       WHERE i.status = 'done' GROUP BY s.archive ORDER BY first`,
    )
    .all() as { archive: string }[];
  return rows.map((r) => ({ path: r.archive, exists: existsSync(r.archive) }));
}

interface KeyRow {
  id: number;
  archive: string;
  path: string;
  content: Buffer | null;
}

function keyRows(sqlite: Database.Database): KeyRow[] {
  // One row per distinct key file content: the same archive imported twice offers its keys once.
  return sqlite
    .prepare(
      `SELECT min(s.id) AS id, s.archive, s.path, s.content FROM source_files s JOIN imports i ON i.id = s.import_id
       WHERE i.status = 'done' AND s.role = 'key' GROUP BY s.sha256 ORDER BY min(s.id)`,
    )
    .all() as KeyRow[];
}

export function offeredKeys(sqlite: Database.Database): OfferedKey[] {
  const out: OfferedKey[] = [];
  for (const row of keyRows(sqlite)) {
    const base = { sourceFileId: row.id, archive: row.archive, path: row.path };
    if (!row.content) {
      out.push({
        ...base,
        kind: 'unreadable',
        looksLikeTsa: false,
        problem: 'the file was too large to keep in the case',
      });
      continue;
    }
    try {
      const { keys } = parseKeyMaterial(row.content, row.path);
      const key = keys[0];
      const subject = key.subject;
      const looksLikeTsa =
        /tsa|timestamp|time-stamp/i.test(row.path) ||
        /tsa|time.?stamp/i.test(subject ?? '') ||
        key.kind === 'certificate';
      const item: OfferedKey = {
        ...base,
        kind: key.kind,
        algorithm: key.algorithmDetail,
        fingerprint: key.spki.colon,
        spkiSha256: key.spki.hex,
        ...(key.certificateFingerprint ? { certificateSha256: key.certificateFingerprint.hex } : {}),
        looksLikeTsa,
      };
      if (subject) item.subject = subject;
      out.push(item);
    } catch (err) {
      out.push({ ...base, kind: 'unreadable', looksLikeTsa: false, problem: (err as Error).message });
    }
  }
  return out;
}

/** What the verification service saved as a run's parameters. */
interface RunParameters {
  retention?: string;
  trustedKeys?: { file: string; spkiSha256: string }[];
  trustedFingerprints?: string[];
  trustedTsaAnchors?: { file: string; subject?: string; sha256?: string }[];
  toolVersion?: string;
}

/**
 * A saved run's parameters as the dashboard's choices: offered keys the investigator ticked (the run pinned
 * their copies in the case's tmp/trust) are shown ticked again (matched by SPKI or certificate digest); key
 * files the investigator supplied are listed as files, once, even when an archive offers the same key.
 */
function requestOf(optionsJson: string, offered: OfferedKey[]): VerifyRequestOptions {
  const p = JSON.parse(optionsJson) as RunParameters & Partial<VerifyRequestOptions>;
  const fromTempCopy = (file: string) => /[\\/]tmp[\\/]trust[\\/]/.test(file);
  const keyIds = (p.trustedKeys ?? [])
    .filter((k) => fromTempCopy(k.file))
    .flatMap((k) => offered.filter((o) => o.spkiSha256 === k.spkiSha256).map((o) => o.sourceFileId));
  const tsaIds = (p.trustedTsaAnchors ?? [])
    .filter((k) => fromTempCopy(k.file))
    .flatMap((k) =>
      offered.filter((o) => k.sha256 !== undefined && o.certificateSha256 === k.sha256).map((o) => o.sourceFileId),
    );
  return {
    retention: p.retention ?? DEFAULT_VERIFY_OPTIONS.retention,
    trustKeys: [...new Set(keyIds)],
    trustTsa: [...new Set(tsaIds)],
    trustFingerprints: p.trustedFingerprints ?? [],
    trustKeyFiles: (p.trustedKeys ?? []).map((k) => k.file).filter((f) => !fromTempCopy(f)),
    trustTsaFiles: (p.trustedTsaAnchors ?? []).map((k) => k.file).filter((f) => !fromTempCopy(f)),
  };
}

export function verifyOptionsView(sqlite: Database.Database): VerifyOptionsView {
  const view: VerifyOptionsView = {
    retentionPolicies: Object.values(RETENTION_POLICIES).map((p) => ({
      name: p.name,
      label: p.label,
      months: p.months,
    })),
    offeredKeys: offeredKeys(sqlite),
    archives: caseArchives(sqlite),
  };
  const last = sqlite.prepare('SELECT options FROM verification_runs ORDER BY id DESC LIMIT 1').get() as
    { options: string } | undefined;
  if (last) view.last = requestOf(last.options, view.offeredKeys);
  return view;
}

/** Writes the content of offered keys the investigator pinned to the case's scratch folder, for the engine. */
function materialise(handle: CaseHandle, ids: number[], what: string): string[] {
  if (ids.length === 0) return [];
  const dir = path.join(handle.tempDir(), 'trust');
  mkdirSync(dir, { recursive: true });
  const rows = new Map(keyRows(handle.sqlite).map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = rows.get(id);
    if (!row?.content) {
      throw new AuditWsError(
        'NOT_FOUND',
        `no key file #${id} is kept in this case to trust as ${what}: choose another key`,
      );
    }
    const file = path.join(dir, `${sha256Hex(row.content)}-${path.basename(row.path)}`);
    writeFileSync(file, row.content);
    return file;
  });
}

export interface CaseVerifyProgress {
  phase: string;
  fraction?: number;
  recordsDone: number;
  bytesDone: number;
  bytesTotal: number;
}

/**
 * Runs the verification service with the dashboard's choices (offered keys pinned by their source-file id, key
 * files, fingerprints, retention policy); returns the saved run's summary. A case opened from an evidence
 * package has no archives to re-read: its verification is the package's, run again on the copy it keeps
 * with the keys chosen (src/package/case-run.ts); the retention policy does not apply to it.
 */
export async function runCaseVerification(
  handle: CaseHandle,
  request: VerifyRequestOptions,
  options: { signal?: AbortSignal; onProgress?: (p: CaseVerifyProgress) => void } = {},
): Promise<VerificationRunSummary> {
  if (handle.info().origin?.kind === 'evidence-package') {
    options.onProgress?.({
      phase: 'verifying the evidence package again',
      recordsDone: 0,
      bytesDone: 0,
      bytesTotal: 0,
    });
    const { runId } = await reverifyPackageCase(handle, {
      trustKeys: [
        ...materialise(handle, request.trustKeys, 'a checkpoint signer'),
        ...request.trustKeyFiles,
        ...request.trustFingerprints,
      ],
      trustTsa: [...materialise(handle, request.trustTsa, 'a TSA trust anchor'), ...request.trustTsaFiles],
    });
    return runSummary(handle.sqlite, runId) as VerificationRunSummary;
  }
  if (!isRetentionPolicy(request.retention)) {
    throw new AuditWsError(
      'BAD_USAGE',
      `unknown retention policy "${request.retention}": choose one of ${Object.keys(RETENTION_POLICIES).join(', ')}`,
    );
  }
  options.onProgress?.({
    phase: 'checking the source files against the custody record',
    recordsDone: 0,
    bytesDone: 0,
    bytesTotal: 0,
  });
  const { runId } = await verifyCaseRun(handle, {
    retention: request.retention as RetentionPolicyName,
    trustKeys: [...materialise(handle, request.trustKeys, 'a checkpoint signer'), ...request.trustKeyFiles],
    trustTsa: [...materialise(handle, request.trustTsa, 'a TSA trust anchor'), ...request.trustTsaFiles],
    trustFingerprints: request.trustFingerprints,
    signal: options.signal,
    onProgress: (p: VerifyProgress) =>
      options.onProgress?.({
        phase: p.phase,
        recordsDone: p.recordsDone,
        bytesDone: p.bytesDone,
        bytesTotal: p.bytesTotal,
        ...(p.bytesTotal > 0 ? { fraction: Math.min(1, p.bytesDone / p.bytesTotal) } : {}),
      }),
  });
  return runSummary(handle.sqlite, runId) as VerificationRunSummary;
}

interface RunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  actor: string;
  options: string;
  summary: string | null;
}

function runSummary(db: Database.Database, runId?: number): VerificationRunSummary | undefined {
  const row = (
    runId === undefined
      ? db.prepare('SELECT * FROM verification_runs ORDER BY id DESC LIMIT 1').get()
      : db.prepare('SELECT * FROM verification_runs WHERE id = ?').get(runId)
  ) as RunRow | undefined;
  if (!row) return undefined;
  const s = row.summary ? (JSON.parse(row.summary) as { verdict: Verdict; reason: string }) : undefined;
  const counts = db
    .prepare(
      "SELECT count(*) AS n, sum(status = 'fail') AS fails, sum(status = 'warn') AS warns FROM findings WHERE run_id = ?",
    )
    .get(row.id) as { n: number; fails: number | null; warns: number | null };
  const out: VerificationRunSummary = {
    id: row.id,
    startedAt: row.started_at,
    actor: row.actor,
    verdict: s?.verdict ?? 'unverifiable',
    reason: s?.reason ?? 'the run did not finish',
    findings: counts.n,
    fails: counts.fails ?? 0,
    warns: counts.warns ?? 0,
  };
  if (row.finished_at) out.finishedAt = row.finished_at;
  return out;
}

export function latestRunSummary(db: Database.Database): VerificationRunSummary | undefined {
  return runSummary(db);
}

interface FindingDbRow {
  id: number;
  check_id: string;
  status: FindingRow['status'];
  stream: string | null;
  seq: number | null;
  file: string | null;
  line: number | null;
  row: number | null;
  message: string;
  details: string | null;
}

export function findingRow(r: FindingDbRow): FindingRow {
  const out: FindingRow = { id: r.id, check: r.check_id, status: r.status, message: r.message };
  if (r.stream !== null) out.stream = r.stream;
  if (r.seq !== null) out.seq = r.seq;
  if (r.file !== null) out.file = r.file;
  if (r.line !== null) out.line = r.line;
  if (r.row !== null) out.row = r.row;
  if (r.details) {
    const d = JSON.parse(r.details) as {
      category?: string;
      seqEnd?: number;
      expected?: DashboardJson;
      actual?: DashboardJson;
    };
    if (d.category) out.category = d.category;
    if (d.seqEnd !== undefined) out.seqEnd = d.seqEnd;
    if (d.expected !== undefined) out.expected = d.expected;
    if (d.actual !== undefined) out.actual = d.actual;
  }
  return out;
}

/** The checks of an evidence package's verification (src/package/verify.ts), where the archive checks name them otherwise. */
const PACKAGE_CHECK_TITLES: [string, string][] = [
  ['sha256sums', 'Every file matches SHA256SUMS'],
  ['package-signature', "Investigator's signature over SHA256SUMS"],
  ['package-form', 'Package is complete and well formed'],
  ['record-proof', 'RFC 6962 inclusion proof of each record against its checkpoint'],
  ['checkpoint-form', 'Checkpoint files well formed'],
  ['checkpoint-continuity', 'Consecutive checkpoints link'],
  ['custody-chain', "Investigator's custody log (hash chain)"],
  ['explanation-checksum', "Explanation artefacts match the object store's checksums"],
  ['explanation-link', 'Explanation artefacts named by the packaged decisions'],
];

const CHECK_TITLES = new Map<string, string>([
  ...PACKAGE_CHECK_TITLES,
  ...[...recordChecks, ...archiveChecks].map((c): [string, string] => [c.id, (c as { title?: string }).title ?? c.id]),
  ['custody-source', 'Source files unchanged since import (custody record)'],
  [COPY_CHECK_ID, COPY_CHECK_TITLE],
]);

const MANIFEST_CHECK = /^(manifest|object-lock|retention)/;

function checkpointPoints(db: Database.Database, runId: number): CheckpointPoint[] {
  const files = db
    .prepare(
      `SELECT s.path, s.role, s.content FROM source_files s JOIN imports i ON i.id = s.import_id
       WHERE i.status = 'done' AND s.role IN ('checkpoint', 'checkpoint-signature', 'checkpoint-timestamp')
       ORDER BY s.id`,
    )
    .all() as { path: string; role: string; content: Buffer | null }[];
  const present = new Set(files.map((f) => f.path));
  const tokens = new Map(
    files.filter((f) => f.role === 'checkpoint-timestamp' && f.content).map((f) => [f.path, f.content!]),
  );
  const findings = db
    .prepare(
      "SELECT file, status, message FROM findings WHERE run_id = ? AND file IS NOT NULL AND file LIKE 'checkpoints/%'",
    )
    .all(runId) as { file: string; status: CheckpointPoint['status']; message: string }[];
  const byFile = new Map<string, { status: CheckpointPoint['status']; message: string }[]>();
  for (const f of findings) {
    const key = f.file.replace(/\.(sig|tsr)$/, '');
    byFile.set(key, [...(byFile.get(key) ?? []), f]);
  }
  const rank = { fail: 3, unverifiable: 2, warn: 1, pass: 0 } as const;
  const seen = new Set<string>();
  const points: CheckpointPoint[] = [];
  for (const f of files) {
    if (f.role !== 'checkpoint' || seen.has(f.path)) continue;
    seen.add(f.path);
    const [, stream = '?', file = f.path] = /^checkpoints\/([^/]+)\/(.+)$/.exec(f.path) ?? [];
    const point: CheckpointPoint = {
      stream,
      label: file.replace(/\.json$/, ''),
      path: f.path,
      signed: present.has(`${f.path}.sig`),
      timestamped: present.has(`${f.path}.tsr`),
      status: 'pass',
      findings: [],
    };
    const token = tokens.get(`${f.path}.tsr`);
    const genTime = token ? statedGenTime(token) : undefined;
    if (genTime) point.genTime = genTime;
    if (f.content) {
      try {
        const v = JSON.parse(f.content.toString('utf8')) as Record<string, unknown>;
        if (typeof v.stream === 'string') point.stream = v.stream;
        if (typeof v.label === 'string') point.label = v.label;
        if (typeof v.firstSeq === 'number') point.firstSeq = v.firstSeq;
        if (typeof v.lastSeq === 'number') point.lastSeq = v.lastSeq;
        if (typeof v.count === 'number') point.count = v.count;
        if (typeof v.createdAt === 'string') point.createdAt = v.createdAt;
      } catch {
        point.findings.push('the checkpoint file is not valid JSON');
      }
    }
    for (const found of byFile.get(f.path) ?? []) {
      if (rank[found.status] > rank[point.status]) point.status = found.status;
      point.findings.push(found.message);
    }
    points.push(point);
  }
  return points.sort((a, b) => (a.createdAt ?? a.label).localeCompare(b.createdAt ?? b.label));
}

export function verificationView(db: Database.Database, runId?: number): VerificationView | null {
  const summary = runSummary(db, runId);
  if (!summary) return null;
  const row = db.prepare('SELECT options, summary FROM verification_runs WHERE id = ?').get(summary.id) as {
    options: string;
    summary: string | null;
  };
  const stored = row.summary
    ? (JSON.parse(row.summary) as Pick<VerifyReport, 'streams' | 'checks' | 'toolVersion' | 'findingsDropped'> & {
        comparison?: VerificationView['comparison'];
      })
    : undefined;
  const perStream = new Map(
    (
      db.prepare('SELECT stream, count(*) AS n FROM findings WHERE run_id = ? GROUP BY stream').all(summary.id) as {
        stream: string | null;
        n: number;
      }[]
    ).map((r) => [r.stream, r.n]),
  );
  const streams: StreamStatus[] = Object.values(stored?.streams ?? {}).map((s) => {
    const out: StreamStatus = {
      name: s.name,
      verdict: s.verdict,
      reason: s.reason,
      records: s.records,
      checkpoints: s.checkpoints,
      anchoredRecords: s.anchoredRecords,
      findings: perStream.get(s.name) ?? 0,
    };
    if (s.kind) out.kind = s.kind;
    if (s.firstSeq !== undefined) out.firstSeq = s.firstSeq;
    if (s.lastSeq !== undefined) out.lastSeq = s.lastSeq;
    return out;
  });
  const checks: CheckCount[] = (stored?.checks ?? []).map((c) => ({ ...c, title: CHECK_TITLES.get(c.id) ?? c.id }));
  const byStatus: Record<string, number> = {};
  for (const r of db
    .prepare('SELECT status, count(*) AS n FROM findings WHERE run_id = ? GROUP BY status')
    .all(summary.id) as { status: string; n: number }[]) {
    byStatus[r.status] = r.n;
  }
  const manifest = (db.prepare('SELECT * FROM findings WHERE run_id = ? ORDER BY id').all(summary.id) as FindingDbRow[])
    .filter((f) => MANIFEST_CHECK.test(f.check_id))
    .map(findingRow);
  const view: VerificationView = {
    run: {
      ...summary,
      options: requestOf(row.options, offeredKeys(db)),
      toolVersion: stored?.toolVersion ?? (JSON.parse(row.options) as { toolVersion?: string }).toolVersion ?? '',
      findingsDropped: stored?.findingsDropped ?? 0,
    },
    streams,
    checks,
    checkpoints: checkpointPoints(db, summary.id),
    manifest,
    byStatus,
  };
  if (stored?.comparison) view.comparison = stored.comparison;
  const prev = db.prepare('SELECT id FROM verification_runs WHERE id < ? ORDER BY id DESC LIMIT 1').get(summary.id) as
    { id: number } | undefined;
  if (prev) view.previous = runSummary(db, prev.id);
  return view;
}

export function findingsPage(
  db: Database.Database,
  query: { runId?: number; offset: number; limit: number; status?: string; check?: string; stream?: string },
): { total: number; offset: number; rows: FindingRow[] } {
  const runId = query.runId ?? runSummary(db)?.id;
  if (runId === undefined) return { total: 0, offset: 0, rows: [] };
  const where = ['run_id = @runId'];
  if (query.status) where.push('status = @status');
  if (query.check) where.push('check_id = @check');
  if (query.stream) where.push('stream = @stream');
  const bind = {
    runId,
    status: query.status,
    check: query.check,
    stream: query.stream,
    limit: query.limit,
    offset: query.offset,
  };
  const clean = Object.fromEntries(Object.entries(bind).filter(([, v]) => v !== undefined));
  const total = (
    db.prepare(`SELECT count(*) AS n FROM findings WHERE ${where.join(' AND ')}`).get(clean) as { n: number }
  ).n;
  // Failures first, then by where they are, so the first screen shows what matters.
  const rows = db
    .prepare(
      `SELECT * FROM findings WHERE ${where.join(' AND ')}
       ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'unverifiable' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END, stream, seq, file, line, id
       LIMIT @limit OFFSET @offset`,
    )
    .all(clean) as FindingDbRow[];
  return { total, offset: query.offset, rows: rows.map(findingRow) };
}

/** Findings of the latest run that point at a record (its stream and seq, or its file and line/row). */
export function findingsForRecord(
  db: Database.Database,
  rec: { stream?: string; seq?: number; file: string; line?: number; row?: number },
): FindingRow[] {
  const run = runSummary(db);
  if (!run) return [];
  const rows = db
    .prepare(
      `SELECT * FROM findings WHERE run_id = @run AND (
         (stream = @stream AND seq IS NOT NULL AND seq <= @seq AND coalesce(json_extract(details, '$.seqEnd'), seq) >= @seq)
         OR (file = @file AND ((line IS NOT NULL AND line = @line) OR (row IS NOT NULL AND row = @row)))
       ) ORDER BY id LIMIT 100`,
    )
    .all({
      run: run.id,
      stream: rec.stream ?? null,
      seq: rec.seq ?? -1,
      file: rec.file,
      line: rec.line ?? -1,
      row: rec.row ?? -1,
    }) as FindingDbRow[];
  return rows.map(findingRow);
}
