/**
 * A quick, read-only look at an archive: what it holds and what it lacks, before any verification.
 * Every data file is read once (records are counted, not kept), so the cost grows with the archive
 * but memory does not.
 */
import { AuditWsError } from '../errors.ts';
import { normalizeRecord } from './kinds.ts';
import type { Dialect, RecordKind } from './kinds.ts';
import { readCheckpoint, readManifest } from './manifest.ts';
import { assignRecord, openArchive } from './open.ts';
import type { ContainerType, FileRole, OpenOptions } from './open.ts';
import { isRecordError, readRecords } from './records.ts';

export interface InspectStream {
  name: string;
  /** Kind the descriptor declares for the stream, else the kind most of its records have. */
  kind?: RecordKind;
  declared: boolean;
  records: number;
  byKind: Partial<Record<RecordKind | 'unknown', number>>;
  byDialect: Partial<Record<Dialect, number>>;
  /** Records that carry chain members (`hash`). */
  chained: number;
  firstSeq?: number;
  lastSeq?: number;
  files: string[];
  checkpoints: number;
}

export interface InspectProblem {
  file: string;
  line?: number;
  row?: number;
  message: string;
}

export interface InspectReport {
  source: string;
  container: ContainerType;
  descriptor: {
    present: boolean;
    format?: string;
    formatVersion?: string;
    system?: { name?: string; operator?: string };
    producer?: unknown;
    exportedAt?: string;
    keyPrefix?: string;
    streams?: { name: string; kind: RecordKind; files?: string[] }[];
  };
  kinds: RecordKind[];
  records: {
    total: number;
    byKind: Partial<Record<RecordKind | 'unknown', number>>;
    byDialect: Partial<Record<Dialect, number>>;
    unverifiable: number;
    errors: number;
  };
  streams: InspectStream[];
  files: { total: number; bytes: number; byRole: Partial<Record<FileRole, string[]>> };
  dataFiles: {
    path: string;
    format?: string;
    stream?: string;
    kind?: RecordKind;
    size: number;
    records: number;
    errors: number;
  }[];
  checkpoints: {
    total: number;
    withSignature: number;
    withTimestamp: number;
    withoutSignature: string[];
    withoutTimestamp: string[];
    list: {
      stream: string;
      label: string;
      path: string;
      sig: boolean;
      tsr: boolean;
      firstSeq?: number;
      lastSeq?: number;
    }[];
  };
  manifest: { present: boolean; path?: string; entries?: number };
  keys: string[];
  explanations: string[];
  present: {
    descriptor: boolean;
    checkpoints: boolean;
    signatures: boolean;
    timestamps: boolean;
    manifest: boolean;
    keys: boolean;
    explanations: boolean;
  };
  /** Problems with their location in the message; the first MAX_LISTED_PROBLEMS are listed, records.errors has the full count. */
  problems: InspectProblem[];
  warnings: string[];
}

const MAX_LISTED_PROBLEMS = 50;

function bump<K extends string>(m: Partial<Record<K, number>>, k: K): void {
  m[k] = (m[k] ?? 0) + 1;
}

export async function inspectArchive(path: string, options: OpenOptions = {}): Promise<InspectReport> {
  const archive = await openArchive(path, options);
  try {
    const d = archive.descriptor;
    const report: InspectReport = {
      source: archive.source,
      container: archive.container,
      descriptor: { present: d !== undefined },
      kinds: [],
      records: { total: 0, byKind: {}, byDialect: {}, unverifiable: 0, errors: 0 },
      streams: [],
      files: { total: archive.files.length, bytes: archive.files.reduce((n, f) => n + f.size, 0), byRole: {} },
      dataFiles: [],
      checkpoints: {
        total: archive.checkpoints.length,
        withSignature: 0,
        withTimestamp: 0,
        withoutSignature: [],
        withoutTimestamp: [],
        list: [],
      },
      manifest: { present: false },
      keys: archive.files.filter((f) => f.role === 'key').map((f) => f.path),
      explanations: archive.files.filter((f) => f.role === 'explanation').map((f) => f.path),
      present: {
        descriptor: false,
        checkpoints: false,
        signatures: false,
        timestamps: false,
        manifest: false,
        keys: false,
        explanations: false,
      },
      problems: [],
      warnings: [],
    };
    if (d) {
      for (const k of [
        'format',
        'formatVersion',
        'system',
        'producer',
        'exportedAt',
        'keyPrefix',
        'streams',
      ] as const) {
        if (d[k] !== undefined) (report.descriptor as Record<string, unknown>)[k] = d[k];
      }
    }
    for (const f of archive.files) (report.files.byRole[f.role] ??= []).push(f.path);

    const problem = (p: InspectProblem): void => {
      if (report.problems.length < MAX_LISTED_PROBLEMS) report.problems.push(p);
    };

    const streams = new Map<string, InspectStream>();
    const streamOf = (name: string): InspectStream => {
      let s = streams.get(name);
      if (!s) {
        const declared = d?.streams?.find((x) => x.name === name);
        s = {
          name,
          declared: declared !== undefined,
          records: 0,
          byKind: {},
          byDialect: {},
          chained: 0,
          files: [],
          checkpoints: 0,
        };
        if (declared) s.kind = declared.kind;
        streams.set(name, s);
      }
      return s;
    };
    for (const s of d?.streams ?? []) streamOf(s.name);

    for (const file of archive.files) {
      if (file.role !== 'data') continue;
      const df = {
        path: file.path,
        format: file.format,
        stream: file.stream,
        kind: file.kind,
        size: file.size,
        records: 0,
        errors: 0,
      };
      report.dataFiles.push(df);
      for await (const r of readRecords(archive, file, { onError: 'yield' })) {
        if (isRecordError(r)) {
          df.errors++;
          report.records.errors++;
          const where = r.line !== undefined ? `:${r.line}` : r.row !== undefined ? ` row ${r.row}` : '';
          problem({ file: r.file, line: r.line, row: r.row, message: `${r.file}${where}: ${r.message}` });
          continue;
        }
        df.records++;
        const { stream, kind } = assignRecord(archive, file, r.value);
        const s = streamOf(stream ?? '(no stream)');
        if (!s.files.includes(file.path)) s.files.push(file.path);
        s.records++;
        report.records.total++;
        bump(s.byKind, kind ?? 'unknown');
        bump(report.records.byKind, kind ?? 'unknown');
        if (kind) {
          const dialect = normalizeRecord(r.value, kind).dialect;
          bump(s.byDialect, dialect);
          bump(report.records.byDialect, dialect);
        }
        if (r.unverifiable) report.records.unverifiable++;
        if (typeof r.value.hash === 'string') s.chained++;
        const seq = r.value.seq;
        if (typeof seq === 'number' && Number.isInteger(seq)) {
          if (s.firstSeq === undefined || seq < s.firstSeq) s.firstSeq = seq;
          if (s.lastSeq === undefined || seq > s.lastSeq) s.lastSeq = seq;
        }
      }
    }

    for (const cp of archive.checkpoints) {
      const entry: InspectReport['checkpoints']['list'][number] = {
        stream: cp.stream,
        label: cp.label,
        path: cp.path,
        sig: cp.sigPath !== undefined,
        tsr: cp.tsrPath !== undefined,
      };
      try {
        const { value } = await readCheckpoint(archive, cp);
        entry.firstSeq = value.firstSeq;
        entry.lastSeq = value.lastSeq;
      } catch (err) {
        if (!(err instanceof AuditWsError)) throw err;
        problem({ file: cp.path, line: err.details.line, message: err.message });
      }
      report.checkpoints.list.push(entry);
      if (entry.sig) report.checkpoints.withSignature++;
      else report.checkpoints.withoutSignature.push(cp.path);
      if (entry.tsr) report.checkpoints.withTimestamp++;
      else report.checkpoints.withoutTimestamp.push(cp.path);
      streamOf(cp.stream).checkpoints++;
    }

    const manifestFile = archive.files.find((f) => f.role === 'manifest');
    if (manifestFile) {
      report.manifest = { present: true, path: manifestFile.path };
      try {
        report.manifest.entries = (await readManifest(archive))?.length;
      } catch (err) {
        if (!(err instanceof AuditWsError)) throw err;
        problem({ file: manifestFile.path, line: err.details.line, message: err.message });
      }
    }

    for (const s of streams.values()) {
      if (s.kind === undefined) {
        const top = (Object.entries(s.byKind) as [string, number][])
          .filter(([k]) => k !== 'unknown')
          .sort((a, b) => b[1] - a[1])[0];
        if (top) s.kind = top[0] as RecordKind;
      }
    }
    report.streams = [...streams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    report.kinds = (['decision', 'lifecycle', 'review', 'outcome'] as RecordKind[]).filter(
      (k) => (report.records.byKind[k] ?? 0) > 0,
    );
    report.present = {
      descriptor: d !== undefined,
      checkpoints: archive.checkpoints.length > 0,
      signatures: report.checkpoints.withSignature > 0,
      timestamps: report.checkpoints.withTimestamp > 0,
      manifest: manifestFile !== undefined,
      keys: report.keys.length > 0,
      explanations: report.explanations.length > 0,
    };
    report.warnings = [...archive.warnings];
    return report;
  } finally {
    await archive.close();
  }
}

/** The report as plain text for a terminal. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  const n = (x: number | undefined): string => String(x ?? 0);
  out.push(`Archive: ${r.source} (${r.container})`);
  if (r.descriptor.present) {
    const sys = r.descriptor.system;
    const parts = [
      `${r.descriptor.format ?? '?'} ${r.descriptor.formatVersion ?? ''}`.trim(),
      sys?.name ? `system ${sys.name}${sys.operator ? ` (${sys.operator})` : ''}` : undefined,
      r.descriptor.exportedAt ? `exported ${r.descriptor.exportedAt}` : undefined,
      r.descriptor.keyPrefix ? `key prefix ${r.descriptor.keyPrefix}` : undefined,
    ].filter(Boolean);
    out.push(`Descriptor: archive.json, ${parts.join(', ')}`);
  } else out.push('Descriptor: absent (streams and kinds found by content)');
  out.push(
    `Records: ${r.records.total} in ${r.dataFiles.length} data file(s); kinds: ${r.kinds.join(', ') || 'none recognised'}`,
  );
  const kindText = Object.entries(r.records.byKind)
    .map(([k, c]) => `${k} ${c}`)
    .join(', ');
  const dialectText = Object.entries(r.records.byDialect)
    .map(([k, c]) => `${k} ${c}`)
    .join(', ');
  if (kindText) out.push(`  by kind: ${kindText}`);
  if (dialectText) out.push(`  by dialect: ${dialectText}`);
  if (r.records.unverifiable) out.push(`  unverifiable (Parquet types): ${r.records.unverifiable}`);
  if (r.records.errors) out.push(`  unreadable records: ${r.records.errors}`);
  out.push(`Streams: ${r.streams.length}`);
  const rows = r.streams.map((s) => [
    s.name,
    s.kind ?? '?',
    n(s.records),
    s.chained === 0
      ? 'no chain'
      : s.firstSeq !== undefined
        ? `seq ${s.firstSeq}..${s.lastSeq}`
        : `${s.chained} chained`,
    Object.entries(s.byDialect)
      .map(([k, c]) => `${k} ${c}`)
      .join(', ') || '-',
    `${s.files.length} file(s)`,
    `${s.checkpoints} checkpoint(s)`,
  ]);
  const widths = rows.reduce((w, row) => row.map((c, i) => Math.max(w[i] ?? 0, c.length)), [] as number[]);
  for (const row of rows)
    out.push(
      `  ${row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}`,
    );
  const c = r.checkpoints;
  out.push(
    `Checkpoints: ${c.total === 0 ? 'absent' : `${c.total} (${c.withSignature} with .sig, ${c.withTimestamp} with .tsr)`}`,
  );
  for (const p of c.withoutSignature) out.push(`  without .sig: ${p}`);
  for (const p of c.withoutTimestamp) out.push(`  without .tsr: ${p}`);
  out.push(`Manifest: ${r.manifest.present ? `${r.manifest.path}, ${r.manifest.entries ?? '?'} entries` : 'absent'}`);
  out.push(`Keys: ${r.keys.length ? r.keys.join(', ') : 'absent'}`);
  out.push(`Explanations: ${r.explanations.length ? `${r.explanations.length} file(s)` : 'absent'}`);
  const roles = Object.entries(r.files.byRole)
    .map(([role, paths]) => `${role} ${paths?.length ?? 0}`)
    .join(', ');
  out.push(`Files: ${r.files.total} (${r.files.bytes} bytes): ${roles}`);
  if (r.problems.length) {
    out.push(
      `Problems (${r.records.errors} unreadable records${r.problems.length >= MAX_LISTED_PROBLEMS ? `, first ${MAX_LISTED_PROBLEMS} shown` : ''}):`,
    );
    for (const p of r.problems) out.push(`  ${p.message}`);
  }
  if (r.warnings.length) {
    out.push('Warnings:');
    for (const w of r.warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}
