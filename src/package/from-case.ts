/**
 * Gathers what an evidence package needs from a case: the selected decisions (by id or by a SQL
 * condition over the decisions table) with, by default, the reviews and outcomes of those decisions;
 * each record's text as the source held it; the checkpoints covering them with their .sig and .tsr
 * and the keys their archives offered (kept in case.sqlite at import); the leaf hashes of each
 * needed checkpoint; and the custody log, with the details of entries that name other records withheld.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { LIST, VARCHAR, listValue } from '@duckdb/node-api';
import { dropNullMembers, sha256Hex } from '../archive/canonical.ts';
import type { RecordKind } from '../archive/kinds.ts';
import type { Checkpoint } from '../archive/manifest.ts';
import { archiveFileByPath, openArchive } from '../archive/open.ts';
import { readCustody } from '../case/custody.ts';
import type { CustodyEntry } from '../case/custody.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { rawTexts } from '../case/source-copies.ts';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';
import { readExplanation } from '../query/explanations.ts';
import type { PackagedCheckpoint, PackagedExplanation, PackagedRecord } from './build.ts';
import { excerptCustody } from './custody-excerpt.ts';
import { explanationPath, explanationRefOfRecord } from './format.ts';
import type { CustodyExcerptEntry, PackageManifest } from './format.ts';

export interface PackageSelection {
  /** Decisions by decisionId. */
  decisionIds?: string[];
  /** A SQL condition over the decisions table (evidence.duckdb column names), e.g. "model_version = '2.1.0'". */
  select?: string;
  /** Also package the reviews and outcomes of the selected decisions (default true). */
  related?: boolean;
  /** Refuse selections larger than this (default 100,000 records). */
  maxRecords?: number;
}

export interface GatheredEvidence {
  decisionIds: string[];
  records: PackagedRecord[];
  checkpoints: PackagedCheckpoint[];
  leavesOf(cp: PackagedCheckpoint): Promise<Buffer[]>;
  keys: { name: string; bytes: Buffer }[];
  explanations: PackagedExplanation[];
  sources: PackageManifest['sources'];
  custody: CustodyExcerptEntry[];
  notes: string[];
}

interface SourceFileRow {
  id: number;
  import_id: number;
  archive: string;
  container: string;
  path: string;
  sha256: string;
  size: number;
  role: string;
  format: string | null;
  content: Buffer | null;
}

const SOURCE_COLUMNS =
  's.id, s.import_id, s.archive, s.container, s.path, s.sha256, s.size, s.role, s.format, s.content';
const DONE = "JOIN imports i ON i.id = s.import_id AND i.status = 'done'";

/** A file the case recorded at import: its kept content, else read again from the archive and checked against its SHA-256. */
async function sourceFileBytes(f: SourceFileRow): Promise<Buffer> {
  if (f.content) return Buffer.from(f.content);
  const archive = await openArchive(f.archive);
  try {
    const file = archiveFileByPath(archive, f.path);
    if (!file)
      throw new AuditWsError('NOT_FOUND', `${f.archive}: no longer holds ${f.path}, which the case imported`, {
        file: f.path,
      });
    const bytes = readFileSync(file.absPath);
    if (sha256Hex(bytes) !== f.sha256) {
      throw new AuditWsError(
        'UNREADABLE_INPUT',
        `${f.archive}: ${f.path} has changed since it was imported (SHA-256 differs)`,
        { file: f.path },
      );
    }
    return bytes;
  } finally {
    await archive.close();
  }
}

const RECORD_SELECT = `stream, seq, hash, raw, source_file_id, source_file, line, "row", unverifiable`;

interface RecordRow {
  stream: string;
  seq: bigint | number | null;
  hash: string | null;
  raw: string;
  source_file_id: bigint | number;
  source_file: string;
  line: bigint | number | null;
  row: bigint | number | null;
  unverifiable: string | null;
}

async function selectDecisionIds(handle: CaseHandle, sel: PackageSelection): Promise<string[]> {
  if (sel.decisionIds && sel.select)
    throw new AuditWsError('BAD_USAGE', 'give either decision ids or a selection query, not both');
  if (sel.decisionIds) {
    const ids = [...new Set(sel.decisionIds.map((s) => s.trim()).filter((s) => s !== ''))];
    if (ids.length === 0) throw new AuditWsError('BAD_USAGE', 'no decision ids given');
    const found = await handle.duck.runAndReadAll(
      `SELECT DISTINCT decision_id FROM ${KIND_TABLES.decision} WHERE list_contains($ids, decision_id)`,
      { ids: listValue(ids) },
      { ids: LIST(VARCHAR) },
    );
    const have = new Set(found.getRowsJS().map((r) => String(r[0])));
    const missing = ids.filter((id) => !have.has(id));
    if (missing.length > 0) {
      throw new AuditWsError(
        'NOT_FOUND',
        `the case holds no decision ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''}`,
      );
    }
    return ids;
  }
  if (!sel.select || sel.select.trim() === '')
    throw new AuditWsError('BAD_USAGE', 'give decision ids (--decisions) or a selection query (--select)');
  if (/;/.test(sel.select))
    throw new AuditWsError('BAD_USAGE', 'the selection query is one condition over the decisions table, without ";"');
  let rows;
  try {
    rows = await handle.duck.runAndReadAll(
      `SELECT DISTINCT decision_id FROM ${KIND_TABLES.decision} WHERE (${sel.select}) AND decision_id IS NOT NULL ORDER BY decision_id`,
    );
  } catch (err) {
    throw new AuditWsError(
      'BAD_USAGE',
      `the selection query "${sel.select}" does not run: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const ids = rows.getRowsJS().map((r) => String(r[0]));
  if (ids.length === 0) throw new AuditWsError('NOT_FOUND', `the selection query "${sel.select}" matches no decision`);
  return ids;
}

async function selectRecords(handle: CaseHandle, kind: RecordKind, ids: string[]): Promise<RecordRow[]> {
  const r = await handle.duck.runAndReadAll(
    `SELECT ${RECORD_SELECT} FROM ${KIND_TABLES[kind]} WHERE list_contains($ids, decision_id) ORDER BY stream, seq, source_file, line, "row"`,
    { ids: listValue(ids) },
    { ids: LIST(VARCHAR) },
  );
  const rows = r.getRowObjectsJS() as unknown as RecordRow[];
  const texts = await rawTexts(handle.dir, handle.sqlite, handle.duck, rows);
  rows.forEach((row, i) => (row.raw = texts[i]));
  return rows;
}

/** The record's text as the source held it: the JSONL line, or for a Parquet row its canonical JSON (with `hash`). */
function recordText(row: RecordRow, format: string | null): string {
  if (format !== 'parquet') return row.raw;
  const value = JSON.parse(row.raw) as unknown;
  const text = canonicalize(dropNullMembers(value) as Parameters<typeof canonicalize>[0]);
  if (text === undefined)
    throw new AuditWsError('INTERNAL', `${row.source_file} row ${row.row}: cannot be put in canonical form`);
  return text;
}

function checkpointPlace(p: string): { stream: string; label: string } | undefined {
  const m = /^checkpoints\/([^/]+)\/([^/]+)\.json$/.exec(p);
  return m ? { stream: m[1], label: m[2] } : undefined;
}

const IDENTIFIER_MEMBERS = [
  'decisionId',
  'decision_id',
  'traceId',
  'trace_id',
  'taskId',
  'task_id',
  'affectedUserId',
  'affected_user_id',
  'eventId',
  'event_id',
  'explanationRef',
  'explanation_ref',
];

/** Explanation artefacts a text names by path (`explanations/<ref>.json`): archive file names that carry a decision's reference. */
export function explanationMentions(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/explanations\/([^\s"',;)\]}]+?)(?:\.json)?(?=["'\s,;)\]}]|$)/g)) out.push(m[1]);
  return out;
}

/** Replaces every explanation path a text names that is not among `disclosed` (a reference of a packaged decision). */
export function redactExplanations(text: string, disclosed: ReadonlySet<string>): string {
  return text.replace(/explanations\/([^\s"',;)\]}]+?)(\.json)?(?=["'\s,;)\]}]|$)/g, (all, ref: string) =>
    disclosed.has(ref) ? all : 'explanations/(withheld)',
  );
}

/** Identifiers of records in the case that are not selected, among the strings a custody entry's details hold. */
async function foreignIdentifiers(
  handle: CaseHandle,
  entries: readonly CustodyEntry[],
  selected: ReadonlySet<string>,
): Promise<Set<string>> {
  const tokens = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') for (const t of v.split(/[\s,;]+/)) if (t.length >= 3 && t.length <= 200) tokens.add(t);
    if (Array.isArray(v)) v.forEach(collect);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(collect);
  };
  for (const e of entries) collect(e.details);
  const candidates = [...tokens].filter((t) => !selected.has(t));
  if (candidates.length === 0) return new Set();
  const idColumns: [string, string[]][] = [
    [KIND_TABLES.decision, ['decision_id', 'trace_id', 'task_id', 'affected_user_id', 'explanation_ref']],
    [KIND_TABLES.review, ['decision_id', 'task_id', 'event_id']],
    [KIND_TABLES.outcome, ['decision_id']],
  ];
  const parts = idColumns.flatMap(([table, cols]) =>
    cols.map((c) => `SELECT ${c} AS v FROM ${table} WHERE list_contains($t, ${c})`),
  );
  const r = await handle.duck.runAndReadAll(
    `SELECT DISTINCT v FROM (${parts.join(' UNION ALL ')})`,
    { t: listValue(candidates) },
    { t: LIST(VARCHAR) },
  );
  return new Set(r.getRowsJS().map((x) => String(x[0])));
}

/**
 * The case's custody log as a package or a package's report may show it: entries whose details name an
 * identifier (decision, trace, task, user or event id) of a record outside `disclosed` keep their
 * hashes and links but not their details.
 */
export async function custodyExcerptFor(
  handle: CaseHandle,
  disclosed: ReadonlySet<string>,
): Promise<CustodyExcerptEntry[]> {
  const entries = readCustody(handle.sqlite);
  const foreign = await foreignIdentifiers(handle, entries, disclosed);
  return excerptCustody(entries, (e) => {
    const text = JSON.stringify(e.details);
    for (const id of foreign) if (text.includes(id)) return 'the details name records outside this package';
    if (explanationMentions(text).some((ref) => !disclosed.has(ref)))
      return 'the details name explanation files of records outside this package';
    return undefined;
  });
}

/** The identifiers a package of these decisions discloses: theirs (with their explanation references), and those of their reviews. */
export async function identifiersOfDecisions(handle: CaseHandle, decisionIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>(decisionIds);
  if (decisionIds.length === 0) return out;
  const r = await handle.duck.runAndReadAll(
    `SELECT trace_id, task_id, affected_user_id, explanation_ref FROM ${KIND_TABLES.decision} WHERE list_contains($ids, decision_id)
     UNION ALL SELECT event_id, task_id, NULL, NULL FROM ${KIND_TABLES.review} WHERE list_contains($ids, decision_id)`,
    { ids: listValue([...decisionIds]) },
    { ids: LIST(VARCHAR) },
  );
  for (const row of r.getRowsJS()) for (const v of row) if (typeof v === 'string') out.add(v);
  return out;
}

export async function gatherFromCase(handle: CaseHandle, sel: PackageSelection): Promise<GatheredEvidence> {
  const decisionIds = await selectDecisionIds(handle, sel);
  const maxRecords = sel.maxRecords ?? 100_000;
  const kinds: RecordKind[] = sel.related === false ? ['decision'] : ['decision', 'review', 'outcome'];
  const rowsByKind: { kind: RecordKind; row: RecordRow }[] = [];
  for (const kind of kinds)
    for (const row of await selectRecords(handle, kind, decisionIds)) rowsByKind.push({ kind, row });
  if (rowsByKind.length > maxRecords) {
    throw new AuditWsError(
      'LIMIT_EXCEEDED',
      `the selection holds ${rowsByKind.length} records, more than the limit of ${maxRecords}; narrow it or raise --max-records`,
    );
  }

  const fileRows = new Map<number, SourceFileRow>();
  const fileStmt = handle.sqlite.prepare(`SELECT ${SOURCE_COLUMNS} FROM source_files s WHERE s.id = ?`);
  const fileOf = (id: number): SourceFileRow => {
    let f = fileRows.get(id);
    if (!f) {
      f = fileStmt.get(id) as SourceFileRow | undefined;
      if (!f) throw new AuditWsError('INTERNAL', `evidence names source file ${id}, which case.sqlite does not know`);
      fileRows.set(id, f);
    }
    return f;
  };

  const records: PackagedRecord[] = [];
  const seen = new Set<string>();
  const unverifiable: string[] = [];
  for (const { kind, row } of rowsByKind) {
    const f = fileOf(Number(row.source_file_id));
    // The same record imported twice (overlapping exports) is packaged once.
    const key = `${row.stream}\u0000${row.seq}\u0000${row.hash}`;
    if (row.seq !== null && row.hash !== null && seen.has(key)) continue;
    seen.add(key);
    if (row.unverifiable) unverifiable.push(`${f.path} row ${row.row}: ${row.unverifiable}`);
    const source: PackagedRecord['source'] = { archive: f.archive, file: f.path };
    if (row.line !== null) source.line = Number(row.line);
    if (row.row !== null) source.row = Number(row.row);
    const rec: PackagedRecord = { stream: row.stream, kind, text: recordText(row, f.format), source };
    if (row.seq !== null) rec.seq = Number(row.seq);
    if (row.hash !== null) rec.hash = row.hash;
    records.push(rec);
  }
  if (unverifiable.length > 0) {
    throw new AuditWsError(
      'UNSUPPORTED',
      `records whose hash cannot be re-computed cannot be proven in a package: ${unverifiable.slice(0, 5).join('; ')}`,
    );
  }

  // Checkpoints (with .sig / .tsr) the case kept at import, by stream and label.
  const kept = handle.sqlite
    .prepare(
      `SELECT ${SOURCE_COLUMNS} FROM source_files s ${DONE} WHERE s.role IN ('checkpoint', 'checkpoint-signature', 'checkpoint-timestamp', 'key', 'descriptor', 'manifest') ORDER BY s.id`,
    )
    .all() as SourceFileRow[];
  const byArchivePath = new Map(kept.map((f) => [`${f.import_id}\u0000${f.archive}\u0000${f.path}`, f]));
  const streams = new Set(records.map((r) => r.stream));
  const checkpoints: PackagedCheckpoint[] = [];
  const checkpointFiles = new Map<PackagedCheckpoint, SourceFileRow[]>();
  const byPlace = new Map<string, { cp: PackagedCheckpoint; from: SourceFileRow }>();
  for (const f of kept.filter((x) => x.role === 'checkpoint')) {
    const place = checkpointPlace(f.path);
    if (!place || !streams.has(place.stream)) continue;
    const bytes = await sourceFileBytes(f);
    let value: Checkpoint;
    try {
      value = JSON.parse(bytes.toString('utf8')) as Checkpoint;
    } catch {
      continue; // verification reports an unreadable checkpoint; it cannot prove anything here
    }
    const existing = byPlace.get(`${place.stream}\u0000${place.label}`);
    if (existing) {
      if (existing.from.sha256 !== f.sha256) {
        throw new AuditWsError(
          'UNSUPPORTED',
          `two different checkpoints ${f.path} were imported (from ${existing.from.archive} and ${f.archive}); a package cannot rest on both`,
          { file: f.path },
        );
      }
      continue;
    }
    const sibling = (suffix: string): SourceFileRow | undefined =>
      byArchivePath.get(`${f.import_id}\u0000${f.archive}\u0000${f.path}${suffix}`);
    const cp: PackagedCheckpoint = { stream: place.stream, label: place.label, bytes, value };
    const files = [f];
    const sig = sibling('.sig');
    if (sig) {
      cp.sig = await sourceFileBytes(sig);
      files.push(sig);
    }
    const tsr = sibling('.tsr');
    if (tsr) {
      cp.tsr = await sourceFileBytes(tsr);
      files.push(tsr);
    }
    byPlace.set(`${place.stream}\u0000${place.label}`, { cp, from: f });
    checkpoints.push(cp);
    checkpointFiles.set(cp, files);
  }

  const leavesOf = async (cp: PackagedCheckpoint): Promise<Buffer[]> => {
    const union = Object.values(KIND_TABLES)
      .map((t) => `SELECT seq, hash FROM ${t} WHERE stream = $stream AND seq BETWEEN $first AND $last`)
      .join(' UNION ALL ');
    const r = await handle.duck.runAndReadAll(`SELECT DISTINCT seq, hash FROM (${union}) ORDER BY seq`, {
      stream: cp.stream,
      first: cp.value.firstSeq,
      last: cp.value.lastSeq,
    });
    const leaves: Buffer[] = [];
    let prevSeq: number | undefined;
    for (const [seqV, hashV] of r.getRowsJS()) {
      const seq = Number(seqV);
      const hash = String(hashV);
      if (seq === prevSeq) {
        throw new AuditWsError(
          'MALFORMED_RECORD',
          `stream ${cp.stream} holds two different records with seq ${seq}; the checkpoint ${cp.label} cannot prove either`,
        );
      }
      if (!/^[0-9a-f]{64}$/.test(hash))
        throw new AuditWsError(
          'MALFORMED_RECORD',
          `stream ${cp.stream} seq ${seq}: hash "${hash.slice(0, 70)}" is not 64 lowercase hex digits`,
        );
      prevSeq = seq;
      leaves.push(Buffer.from(hash, 'hex'));
    }
    return leaves;
  };

  // The keys the archives behind the checkpoints offered (a regulator pins them or not; they are never trusted for being here).
  const archivesUsed = new Set([...checkpointFiles.values()].map((fs) => `${fs[0].import_id}\u0000${fs[0].archive}`));
  const keys: { name: string; bytes: Buffer }[] = [];
  const keyBySha = new Map<string, string>();
  for (const f of kept.filter((x) => x.role === 'key' && archivesUsed.has(`${x.import_id}\u0000${x.archive}`))) {
    if (keyBySha.has(f.sha256)) continue;
    let name = path.posix.basename(f.path);
    for (let i = 2; keys.some((k) => k.name === name) || name === 'investigator.pub.pem'; i++)
      name = `${i}-${path.posix.basename(f.path)}`;
    keys.push({ name, bytes: await sourceFileBytes(f) });
    keyBySha.set(f.sha256, name);
  }

  const explained = await gatherExplanations(handle, records, kept);

  // The sources: every archive a packaged record or checkpoint came from, with the files used.
  const sourcesMap = new Map<string, PackageManifest['sources'][number]>();
  const addSource = (f: SourceFileRow): void => {
    let s = sourcesMap.get(f.archive);
    if (!s) {
      s = { archive: f.archive, container: f.container, files: [] };
      const descriptor = kept.find((d) => d.role === 'descriptor' && d.archive === f.archive && d.content);
      if (descriptor?.content) {
        try {
          const d = JSON.parse(Buffer.from(descriptor.content).toString('utf8')) as Record<string, unknown>;
          if (d.system !== undefined) s.system = d.system;
          if (d.producer !== undefined) s.producer = d.producer;
          if (typeof d.exportedAt === 'string') s.exportedAt = d.exportedAt;
        } catch {
          /* an unreadable descriptor is verification's to report */
        }
      }
      sourcesMap.set(f.archive, s);
    }
    if (!s.files.some((x) => x.path === f.path && x.sha256 === f.sha256))
      s.files.push({ path: f.path, sha256: f.sha256, size: f.size, role: f.role });
  };
  for (const f of fileRows.values()) addSource(f);
  for (const fs of checkpointFiles.values()) fs.forEach(addSource);
  for (const f of explained.files) addSource(f);

  // Identifiers the package discloses anyway (those of its own records) do not make an entry foreign.
  const disclosed = new Set<string>(decisionIds);
  for (const r of records) {
    const v = JSON.parse(r.text) as Record<string, unknown>;
    for (const k of IDENTIFIER_MEMBERS) if (typeof v[k] === 'string') disclosed.add(v[k] as string);
  }
  const custody = await custodyExcerptFor(handle, disclosed);

  const notes: string[] = [...explained.notes];
  if (sel.related !== false)
    notes.push('Besides the selected decisions, the package holds the review and outcome records that name them.');
  const withheld = custody.filter((c) => c.details === undefined).length;
  if (withheld > 0)
    notes.push(
      `${withheld} custody entries name records outside the package; their details are withheld, their hashes and links kept.`,
    );
  return {
    decisionIds,
    records,
    checkpoints,
    leavesOf,
    keys,
    explanations: explained.explanations,
    sources: [...sourcesMap.values()],
    custody,
    notes,
  };
}

/** The object-store manifest's lines of one archive, by key (only the lines naming one of `paths` are parsed). */
async function manifestLinesFor(manifest: SourceFileRow, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const text = (await sourceFileBytes(manifest)).toString('utf8');
  for (const line of text.split('\n')) {
    const t = line.replace(/\r$/, '');
    if (!paths.some((p) => t.includes(p))) continue;
    try {
      const v = JSON.parse(t) as { Key?: unknown };
      if (typeof v.Key === 'string') out.set(v.Key, t);
    } catch {
      // a malformed manifest line is verification's finding; it vouches for nothing here
    }
  }
  return out;
}

/**
 * The explanation artefacts the packaged decisions name, as the case keeps them (checked against the
 * SHA-256 recorded at import), each with its entry in its archive's object-store manifest when listed.
 * An artefact the case cannot produce is left out with a note; one that changed since import stops the package.
 */
async function gatherExplanations(
  handle: CaseHandle,
  records: readonly PackagedRecord[],
  kept: readonly SourceFileRow[],
): Promise<{ explanations: PackagedExplanation[]; files: SourceFileRow[]; notes: string[] }> {
  const byRef = new Map<string, string[]>();
  for (const r of records) {
    if (r.kind !== 'decision') continue;
    const v = JSON.parse(r.text) as Record<string, unknown>;
    const ref = explanationRefOfRecord(v);
    const id = v.decisionId ?? v.decision_id;
    if (ref !== undefined) byRef.set(ref, [...(byRef.get(ref) ?? []), typeof id === 'string' ? id : '?']);
  }
  const explanations: PackagedExplanation[] = [];
  const files: SourceFileRow[] = [];
  const notes: string[] = [];
  const missing: string[] = [];
  const fileStmt = handle.sqlite.prepare(
    `SELECT ${SOURCE_COLUMNS} FROM source_files s ${DONE} WHERE s.role = 'explanation' AND s.path = ? AND s.sha256 = ? ORDER BY s.id DESC LIMIT 1`,
  );
  const manifests = new Map<string, Map<string, string>>();
  const wanted = [...byRef.keys()].map(explanationPath);
  for (const [ref, decisionIds] of [...byRef.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const artefact = await readExplanation(handle.sqlite, ref, handle.duck);
    if ('missing' in artefact) {
      missing.push(`${ref} (${artefact.missing})`);
      continue;
    }
    if (!artefact.unchanged)
      throw new AuditWsError(
        'UNSUPPORTED',
        `${artefact.path} differs from the file imported into the case (SHA-256): the package would carry a changed artefact, so it was not written`,
        { file: artefact.path },
      );
    const f = fileStmt.get(artefact.path, sha256Hex(artefact.bytes)) as SourceFileRow | undefined;
    if (!f) {
      missing.push(`${ref} (the case has no record of importing it)`);
      continue;
    }
    files.push(f);
    const e: PackagedExplanation = {
      ref,
      bytes: artefact.bytes,
      decisionIds,
      source: { archive: f.archive, file: f.path },
    };
    const manifest = kept.find((m) => m.role === 'manifest' && m.import_id === f.import_id && m.archive === f.archive);
    if (manifest) {
      const cacheKey = `${manifest.import_id}\u0000${manifest.archive}`;
      let lines = manifests.get(cacheKey);
      if (!lines) {
        lines = await manifestLinesFor(manifest, wanted);
        manifests.set(cacheKey, lines);
      }
      const descriptor = kept.find(
        (d) => d.role === 'descriptor' && d.import_id === f.import_id && d.archive === f.archive && d.content,
      );
      let prefix = '';
      try {
        const d = JSON.parse(Buffer.from(descriptor?.content ?? '{}').toString('utf8')) as { keyPrefix?: unknown };
        if (typeof d.keyPrefix === 'string') prefix = d.keyPrefix;
      } catch {
        // without a readable descriptor the key is the path itself
      }
      const line = lines.get(`${prefix}${f.path}`) ?? lines.get(f.path);
      if (line !== undefined) e.objectStoreLine = line;
    }
    explanations.push(e);
  }
  if (missing.length > 0)
    notes.push(
      `${missing.length} explanation artefact(s) named by packaged decisions are not in the package: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; ...' : ''}`,
    );
  return { explanations, files, notes };
}
