/**
 * Integrity attestation: the case's latest verification run (saved by the verification service in
 * case.sqlite), every check with its counts, the verdict per stream, what the investigator trusted
 * and why, and each checkpoint with its seq range, signature and RFC 3161 time-stamp. The run's
 * findings decide every status shown; the time-stamp token's genTime and TSA name, and the key that
 * verifies each signature, are read from the kept files to say *when* and *by whom*.
 */
import { existsSync } from 'node:fs';
import { offeredKeys, verificationView } from '../../verify/dashboard.ts';
import type { FindingRow, VerificationView } from '../../verify/dashboard-types.ts';
import { loadKeyFile, parseKeyMaterial } from '../../verify/crypto/keys.ts';
import type { KeyMaterial } from '../../verify/crypto/keys.ts';
import { verifyCheckpointSignature } from '../../verify/crypto/signature.ts';
import { verifyTimestamp } from '../../verify/crypto/timestamp.ts';
import { RETENTION_POLICIES } from '../../verify/types.ts';
import { VERDICT_EXPLANATION } from '../../verify/findings.ts';
import type { ReportContext } from '../context.ts';
import { shown } from '../context.ts';
import { badge, facts, fmtInt, fmtPct, fmtTime, html, shortHash, table, toneOfStatus } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';

export interface TrustedItem {
  what: 'checkpoint signer' | 'TSA trust anchor' | 'fingerprint';
  source: string;
  detail: string;
  sha256?: string;
}

export interface CheckpointAttestation {
  stream: string;
  label: string;
  path: string;
  firstSeq?: number;
  lastSeq?: number;
  count?: number;
  createdAt?: string;
  signed: boolean;
  timestamped: boolean;
  /** Worst status the run gave the checkpoint, its signature or its time-stamp. */
  status: 'pass' | 'fail' | 'warn' | 'unverifiable';
  findings: string[];
  /** SPKI SHA-256 of the key the signature verifies with, and whether that key was pinned. */
  signerKey?: string;
  signerPinned?: boolean;
  genTime?: string;
  tsa?: string;
}

export interface FindingGroup {
  status: string;
  check: string;
  count: number;
  streams: string[];
  example: string;
}

export interface IntegrityData {
  run: null | {
    id: number;
    startedAt: string;
    finishedAt?: string;
    actor: string;
    verdict: string;
    verdictMeaning: string;
    reason: string;
    toolVersion: string;
    retention: string;
    findings: number;
    fails: number;
    warns: number;
    findingsDropped: number;
  };
  trusted: TrustedItem[];
  checks: { id: string; title: string; pass: number; fail: number; warn: number; unverifiable: number }[];
  streams: {
    name: string;
    kind?: string;
    verdict: string;
    reason: string;
    records: number;
    firstSeq?: number;
    lastSeq?: number;
    checkpoints: number;
    anchoredRecords: number;
    anchoredShare: number | null;
  }[];
  checkpoints: CheckpointAttestation[];
  /** Findings of the run other than passes: all of them counted by status and check, the first (worst first) listed. */
  findings: { total: number; byStatus: Record<string, number>; byCheck: FindingGroup[]; listed: FindingRow[] };
  /** Object Lock, retention and manifest findings. */
  storage: FindingRow[];
}

function keyFileMaterial(path: string): KeyMaterial[] {
  try {
    return existsSync(path) ? loadKeyFile(path).keys : [];
  } catch {
    return [];
  }
}

export async function collectIntegrity(ctx: ReportContext): Promise<IntegrityData> {
  const db = ctx.handle.sqlite;
  const view: VerificationView | null = verificationView(db);
  if (!view)
    return {
      run: null,
      trusted: [],
      checks: [],
      streams: [],
      checkpoints: [],
      findings: { total: 0, byStatus: {}, byCheck: [], listed: [] },
      storage: [],
    };

  const offered = offeredKeys(db);
  const trusted: TrustedItem[] = [];
  const pinned: KeyMaterial[] = [];
  const anchors: KeyMaterial[] = [];
  const contentOf = (id: number): Buffer | undefined => {
    const r = db.prepare('SELECT content FROM source_files WHERE id = ?').get(id) as
      { content: Buffer | null } | undefined;
    return r?.content ?? undefined;
  };
  for (const id of view.run.options.trustKeys) {
    const k = offered.find((o) => o.sourceFileId === id);
    const content = contentOf(id);
    if (content) pinned.push(...parseKeyMaterial(content, k?.path ?? `#${id}`).keys);
    trusted.push({
      what: 'checkpoint signer',
      source: k ? `${k.path} offered by ${k.archive}, pinned by the investigator` : `key #${id}`,
      detail: k?.algorithm ?? '',
      sha256: k?.fingerprint,
    });
  }
  for (const file of view.run.options.trustKeyFiles) {
    const keys = keyFileMaterial(file);
    pinned.push(...keys);
    trusted.push({
      what: 'checkpoint signer',
      source: `${file} (supplied by the investigator)`,
      detail: keys[0]?.algorithmDetail ?? 'file no longer readable',
      sha256: keys[0]?.spki.colon,
    });
  }
  for (const fp of view.run.options.trustFingerprints)
    trusted.push({
      what: 'fingerprint',
      source: 'typed in by the investigator',
      detail: 'pinned key fingerprint',
      sha256: fp,
    });
  for (const id of view.run.options.trustTsa) {
    const k = offered.find((o) => o.sourceFileId === id);
    const content = contentOf(id);
    if (content) anchors.push(...parseKeyMaterial(content, k?.path ?? `#${id}`).keys);
    trusted.push({
      what: 'TSA trust anchor',
      source: k ? `${k.path} offered by ${k.archive}, accepted by the investigator` : `certificate #${id}`,
      detail: k?.subject ?? '',
      sha256: k?.fingerprint,
    });
  }
  for (const file of view.run.options.trustTsaFiles) {
    const keys = keyFileMaterial(file);
    anchors.push(...keys);
    trusted.push({
      what: 'TSA trust anchor',
      source: `${file} (supplied by the investigator)`,
      detail: keys[0]?.subject ?? 'file no longer readable',
      sha256: keys[0]?.spki.colon,
    });
  }

  // Which key verifies each signature, and when each token says the checkpoint existed.
  const kept = db
    .prepare(
      `SELECT s.path, s.role, s.content FROM source_files s JOIN imports i ON i.id = s.import_id AND i.status = 'done'
       WHERE s.role IN ('checkpoint', 'checkpoint-signature', 'checkpoint-timestamp', 'key') AND s.content IS NOT NULL ORDER BY s.id`,
    )
    .all() as { path: string; role: string; content: Buffer }[];
  const byPath = new Map<string, Buffer>();
  for (const f of kept) if (!byPath.has(f.path)) byPath.set(f.path, Buffer.from(f.content));
  const offeredMaterial = kept
    .filter((f) => f.role === 'key')
    .flatMap((f) => {
      try {
        return parseKeyMaterial(Buffer.from(f.content), f.path).keys;
      } catch {
        return [];
      }
    });
  const pinnedSpki = new Set([
    ...pinned.map((k) => k.spki.hex),
    ...view.run.options.trustFingerprints.map((f) => f.replace(/:/g, '').toLowerCase()),
  ]);
  const candidates = [...pinned, ...offeredMaterial].map((k) => ({
    ...k,
    trust: pinnedSpki.has(k.spki.hex) ? ('pinned' as const) : ('self-asserted' as const),
  }));

  const checkpoints: CheckpointAttestation[] = [];
  for (const p of view.checkpoints) {
    const a: CheckpointAttestation = { ...p, findings: [...p.findings] };
    const bytes = byPath.get(p.path);
    const sig = byPath.get(`${p.path}.sig`);
    const tsr = byPath.get(`${p.path}.tsr`);
    if (bytes && sig && candidates.length > 0) {
      const r = verifyCheckpointSignature({ checkpointBytes: bytes, signature: sig, keys: candidates });
      if (r.verifiedBy) {
        a.signerKey = r.verifiedBy.spkiSha256;
        a.signerPinned = r.verifiedBy.trust === 'pinned';
      }
    }
    if (bytes && tsr) {
      try {
        const t = await verifyTimestamp({
          checkpointBytes: bytes,
          tokenBytes: tsr,
          anchors,
          extraCertificates: offeredMaterial.filter((k) => k.kind === 'certificate'),
        });
        if (t.genTime) a.genTime = t.genTime;
        const tsa = t.tsaSubject ?? t.tsaName;
        if (tsa) a.tsa = tsa;
      } catch {
        // an unreadable token is already a finding of the run
      }
    }
    checkpoints.push(a);
  }

  const total = (
    db.prepare("SELECT count(*) AS n FROM findings WHERE run_id = ? AND status <> 'pass'").get(view.run.id) as {
      n: number;
    }
  ).n;
  const listed = (
    db
      .prepare(
        `SELECT * FROM findings WHERE run_id = ? AND status <> 'pass'
         ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'unverifiable' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END, stream, seq, file, line, id LIMIT ?`,
      )
      .all(view.run.id, ctx.maxRows * 2) as Parameters<typeof toRow>[0][]
  ).map(toRow);
  const groups = db
    .prepare(
      `SELECT status, check_id, count(*) AS n, group_concat(DISTINCT stream) AS streams, min(id) AS first FROM findings
       WHERE run_id = ? AND status <> 'pass' GROUP BY status, check_id
       ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'unverifiable' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END, n DESC, check_id`,
    )
    .all(view.run.id) as { status: string; check_id: string; n: number; streams: string | null; first: number }[];
  const firstOf = db.prepare('SELECT * FROM findings WHERE id = ?');
  const byCheck: FindingGroup[] = groups.map((g) => {
    const f = toRow(firstOf.get(g.first) as Parameters<typeof toRow>[0]);
    return {
      status: g.status,
      check: g.check_id,
      count: g.n,
      streams: g.streams ? g.streams.split(',').sort() : [],
      example: shown(ctx, `${f.message}${where(f) !== '–' ? ` (${where(f)})` : ''}`),
    };
  });
  const redact = (f: FindingRow): FindingRow => ({
    ...f,
    message: shown(ctx, f.message),
    ...(f.file !== undefined ? { file: shown(ctx, f.file) } : {}),
  });
  const storage = view.manifest;
  return {
    run: {
      id: view.run.id,
      startedAt: view.run.startedAt,
      ...(view.run.finishedAt ? { finishedAt: view.run.finishedAt } : {}),
      actor: view.run.actor,
      verdict: view.run.verdict,
      verdictMeaning: VERDICT_EXPLANATION[view.run.verdict],
      reason: view.run.reason,
      toolVersion: view.run.toolVersion,
      retention:
        RETENTION_POLICIES[view.run.options.retention as keyof typeof RETENTION_POLICIES]?.label ??
        view.run.options.retention,
      findings: view.run.findings,
      fails: view.run.fails,
      warns: view.run.warns,
      findingsDropped: view.run.findingsDropped,
    },
    trusted,
    checks: view.checks,
    streams: view.streams.map((s) => ({ ...s, anchoredShare: s.records > 0 ? s.anchoredRecords / s.records : null })),
    checkpoints,
    findings: { total, byStatus: view.byStatus, byCheck, listed: listed.map(redact) },
    storage: storage.map(redact),
  };
}

function toRow(r: {
  id: number;
  check_id: string;
  status: string;
  stream: string | null;
  seq: number | null;
  file: string | null;
  line: number | null;
  row: number | null;
  message: string;
  details: string | null;
}): FindingRow {
  const out: FindingRow = { id: r.id, check: r.check_id, status: r.status as FindingRow['status'], message: r.message };
  if (r.stream !== null) out.stream = r.stream;
  if (r.seq !== null) out.seq = r.seq;
  if (r.file !== null) out.file = r.file;
  if (r.line !== null) out.line = r.line;
  if (r.row !== null) out.row = r.row;
  if (r.details) {
    try {
      const d = JSON.parse(r.details) as { category?: string; seqEnd?: number };
      if (d.category) out.category = d.category;
      if (d.seqEnd !== undefined) out.seqEnd = d.seqEnd;
    } catch {
      /* details are auxiliary */
    }
  }
  return out;
}

/** A checkpoint's findings other than the missing .sig / .tsr its own columns already show. */
function otherFindings(c: CheckpointAttestation): string {
  const rest = c.findings.filter((m) => !/has no (signature|RFC 3161 time-stamp)/.test(m));
  return rest.length ? rest.join(' ') : '–';
}

function where(f: FindingRow): string {
  const parts: string[] = [];
  if (f.stream)
    parts.push(
      `${f.stream}${f.seq !== undefined ? ` seq ${f.seq}${f.seqEnd !== undefined && f.seqEnd !== f.seq ? `–${f.seqEnd}` : ''}` : ''}`,
    );
  if (f.file)
    parts.push(`${f.file}${f.line !== undefined ? `:${f.line}` : f.row !== undefined ? ` row ${f.row}` : ''}`);
  return parts.join(', ') || '–';
}

export function renderIntegrity(d: IntegrityData): Html {
  if (!d.run) {
    return html`<section id="integrity">
      <h2>2. Integrity attestation</h2>
      <p class="callout bad">
        No verification run is recorded in this case. Nothing in this report establishes that the records are unaltered.
        Run the verification (dashboard, or <code>audit-ws report --verify</code>) and produce the report again.
      </p>
    </section>`;
  }
  const r = d.run;
  return html`<section id="integrity">
    <h2>2. Integrity attestation</h2>
    <p class="callout ${toneOfStatus(r.verdict)}">
      <strong>Verdict: ${r.verdict.toUpperCase()}</strong> (${r.verdictMeaning}). ${r.reason}
    </p>
    ${facts([
      [
        'Verification run',
        `#${r.id}, ${fmtTime(r.startedAt)}${r.finishedAt ? ` to ${fmtTime(r.finishedAt)}` : ''}, by ${r.actor}, ${r.toolVersion ? `audit-ws ${r.toolVersion}` : ''}`,
      ],
      ['Retention policy applied', r.retention],
      [
        'Findings',
        `${fmtInt(r.fails)} failed, ${fmtInt(r.warns)} warnings, ${fmtInt(r.findings)} in all${r.findingsDropped ? ` (${fmtInt(r.findingsDropped)} more counted but not kept)` : ''}`,
      ],
    ])}
    <h3>What was trusted, and why</h3>
    <p>
      Only keys and certificates the investigator chose are trusted. Keys an archive carries in <code>keys/</code> are
      self-asserted: whoever could rewrite the archive could replace them, so a signature that verifies only with such a
      key proves consistency, not origin.
    </p>
    ${table(
      [
        { head: 'Trusted as', cell: (t) => t.what, width: '16%' },
        { head: 'Source', cell: (t) => t.source, cls: 'wrap', width: '44%' },
        { head: 'Detail', cell: (t) => t.detail || '–', cls: 'wrap', width: '14%' },
        {
          head: 'SHA-256 (SPKI)',
          cell: (t) => (t.sha256 ? html`<span class="mono break">${t.sha256}</span>` : '–'),
          cls: 'wrap',
          width: '26%',
        },
      ],
      d.trusted,
      {
        empty:
          'Nothing was pinned: signatures and time-stamps could only be checked against keys the archives supply themselves.',
      },
    )}
    <h3>Checks</h3>
    ${table(
      [
        {
          head: 'Check',
          cell: (c) => (c.title === c.id ? c.id : html`${c.title}<br /><span class="muted">${c.id}</span>`),
          cls: 'wrap',
        },
        { head: 'Pass', cell: (c) => fmtInt(c.pass), cls: 'num' },
        { head: 'Fail', cell: (c) => fmtInt(c.fail), cls: 'num' },
        { head: 'Warn', cell: (c) => fmtInt(c.warn), cls: 'num' },
        { head: 'Unverifiable', cell: (c) => fmtInt(c.unverifiable), cls: 'num' },
      ],
      d.checks,
    )}
    <h3>Streams and checkpoint coverage</h3>
    ${table(
      [
        {
          head: 'Stream',
          cell: (s) => html`${s.name}${s.kind ? html`<br /><span class="muted">${s.kind}</span>` : ''}`,
        },
        { head: 'Verdict', cell: (s) => badge(s.verdict, toneOfStatus(s.verdict)) },
        { head: 'Records', cell: (s) => fmtInt(s.records), cls: 'num' },
        {
          head: 'Seq',
          cell: (s) => (s.firstSeq === undefined ? '–' : `${fmtInt(s.firstSeq)}–${fmtInt(s.lastSeq)}`),
          cls: 'num',
        },
        { head: 'Checkpoints', cell: (s) => fmtInt(s.checkpoints), cls: 'num' },
        { head: 'Anchored', cell: (s) => `${fmtInt(s.anchoredRecords)} (${fmtPct(s.anchoredShare)})`, cls: 'num' },
        { head: 'Why', cell: (s) => s.reason, cls: 'wrap' },
      ],
      d.streams,
    )}
    <h3>Checkpoints, signatures and time-stamps</h3>
    ${table(
      [
        { head: 'Checkpoint', cell: (c) => html`${c.stream}<br />${c.label}`, cls: 'nowrap' },
        {
          head: 'Seq',
          cell: (c) => (c.firstSeq === undefined ? '–' : `${fmtInt(c.firstSeq)}–${fmtInt(c.lastSeq)}`),
          cls: 'num',
        },
        { head: 'Status', cell: (c) => badge(c.status, toneOfStatus(c.status)) },
        {
          head: 'Signed by',
          cell: (c) =>
            c.signerKey
              ? html`${shortHash(c.signerKey, 16)}<br /><span class="muted"
                    >${c.signerPinned ? 'pinned key' : 'self-asserted key'}</span
                  >`
              : c.signed
                ? 'no candidate key verifies'
                : 'not signed',
          cls: 'mono',
        },
        {
          head: 'Time-stamped (genTime, TSA)',
          cell: (c) =>
            c.genTime
              ? html`${fmtTime(c.genTime)}<br /><span class="muted">${c.tsa ?? ''}</span>`
              : c.timestamped
                ? 'token unreadable'
                : 'no time-stamp',
          cls: 'wrap',
        },
        { head: 'Other findings', cell: (c) => otherFindings(c), cls: 'wrap' },
      ],
      d.checkpoints,
      { empty: 'The archives hold no checkpoints: nothing independent anchors the records.' },
    )}
    ${
      d.storage.length
        ? html`<h3>Storage: manifest, Object Lock and retention</h3>
            ${table(
              [
                { head: 'Status', cell: (f) => badge(f.status, toneOfStatus(f.status)) },
                { head: 'File', cell: (f) => f.file ?? '–', cls: 'wrap' },
                { head: 'Finding', cell: (f) => f.message, cls: 'wrap' },
              ],
              d.storage.slice(0, 40),
            )}`
        : ''
    }
    <h3>Findings of the run</h3>
    <p>${fmtInt(d.findings.total)} findings other than passes, by check:</p>
    ${table(
      [
        { head: 'Status', cell: (g) => badge(g.status, toneOfStatus(g.status)) },
        { head: 'Check', cell: (g) => g.check },
        { head: 'Findings', cell: (g) => fmtInt(g.count), cls: 'num' },
        { head: 'Streams', cell: (g) => g.streams.join(', ') || '–', cls: 'wrap' },
        { head: 'For example', cell: (g) => g.example, cls: 'wrap' },
      ],
      d.findings.byCheck,
      { empty: 'None: every check passed.' },
    )}
    ${
      d.findings.listed.some((f) => f.status !== 'warn')
        ? html`<h3>Failed and unverifiable findings</h3>
            <p>
              ${d.findings.listed.length < d.findings.total ? `The first ${fmtInt(d.findings.listed.length)} findings are listed here, worst first; the case's findings export (audit-ws export findings) holds all of them.` : 'Each one, worst first.'}
            </p>
            ${table(
              [
                { head: 'Status', cell: (f) => badge(f.status, toneOfStatus(f.status)) },
                { head: 'Check', cell: (f) => f.check },
                { head: 'Where', cell: (f) => where(f), cls: 'wrap' },
                { head: 'Finding', cell: (f) => f.message, cls: 'wrap' },
              ],
              d.findings.listed.filter((f) => f.status !== 'warn'),
            )}`
        : ''
    }
  </section>`;
}
