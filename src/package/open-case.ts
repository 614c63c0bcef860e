/**
 * The regulator's side, as a case: "Open evidence package" makes a read-only case whose evidence is the
 * package's records and whose verification is the package's own.
 *
 *   1. the package (.zip or its unpacked folder) is opened with the archive reader's limits and must be
 *      an evidence package (package.json of format ai-audit-evidence-package, records/);
 *   2. the case is created; the package is copied into it (`package/<file>`), and its records,
 *      checkpoints (.sig, .tsr), offered keys and explanation artefacts are laid out as an archive
 *      (`package/evidence/`, with an archive.json naming each stream and kind) and imported through the
 *      normal importer, so the explorer, timeline, search and queries work on them as on any case;
 *   3. the package is verified (verify.ts: SHA256SUMS, the investigator's signature, every record hash,
 *      every inclusion proof against its checkpoint, checkpoint signatures and time-stamps against the
 *      trust given, explanation artefacts, custody log) and the result saved as the case's verification
 *      run (case-run.ts), which the verification dashboard and the integrity marks of every screen read;
 *   4. the case is marked read-only (case.sqlite schema 3), with a custody entry naming the package and
 *      its SHA-256. It then refuses imports, archive re-verification and re-packaging with a sentence
 *      saying why; annotations and saved views remain the regulator's own.
 *
 * A package that fails verification is still opened: what is wrong with it is the first thing its
 * verification dashboard shows. Anything that goes wrong while the case is made removes the case.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { RECORD_KINDS } from '../archive/kinds.ts';
import type { RecordKind } from '../archive/kinds.ts';
import { appendCustody } from '../case/custody.ts';
import { markReadOnly } from '../case/store.ts';
import type { CaseHandle, CaseInfo, CaseOrigin, DuckDbSettings } from '../case/store.ts';
import type { Workspace } from '../case/workspace.ts';
import { AuditWsError } from '../errors.ts';
import { importArchives } from '../import/importer.ts';
import type { ImportProgress } from '../import/progress.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { packageSha256, savePackageRun } from './case-run.ts';
import { PACKAGE_FORMAT, PACKAGE_JSON } from './format.ts';
import type { PackageManifest } from './format.ts';
import { openPackage, verifyOpenedPackage } from './verify.ts';
import type { PackageVerifyOptions, PackageVerifyReport } from './verify.ts';

/** Folder of a package case that holds the kept package and the archive laid out from it. */
export const PACKAGE_DIR = 'package';
const EVIDENCE_DIR = 'evidence';

export interface OpenPackageProgress {
  phase: 'checking the package' | 'importing the records' | 'verifying the package' | 'saving';
  /** 0..1 of the whole operation. */
  fraction?: number;
  detail?: string;
  /** The importer's counters while importing. */
  import?: ImportProgress;
}

export interface OpenPackageOptions extends PackageVerifyOptions {
  /** Name of the case to create. */
  name: string;
  /** The regulator (custody log). */
  actor: string;
  description?: string;
  signal?: AbortSignal;
  onProgress?: (p: OpenPackageProgress) => void;
  duckdb?: DuckDbSettings;
}

export interface OpenedPackageCase {
  case: CaseInfo;
  runId: number;
  verification: PackageVerifyReport;
  importId: number;
  records: number;
  explanations: number;
}

/** The sentence a package case gives when it refuses an import, a re-verification of archives or a new package. */
export function readOnlyReason(packageName: string, kept: string): string {
  return `it was opened from the evidence package ${packageName}, and its evidence is exactly that package's records (kept in ${kept}). Its verification is the package's: run it again on the Verification screen, or with audit-ws verify-package. Annotations remain possible.`;
}

async function filesUnder(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(root, p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

function readManifest(root: string, file: string): PackageManifest {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path.join(root, PACKAGE_JSON), 'utf8'));
  } catch (err) {
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: not an evidence package: ${PACKAGE_JSON} is missing or not JSON (${(err as Error).message.split('\n')[0]})`,
      { file },
    );
  }
  if (v === null || typeof v !== 'object' || (v as { format?: unknown }).format !== PACKAGE_FORMAT)
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: not an evidence package: ${PACKAGE_JSON} does not say format "${PACKAGE_FORMAT}"`,
      { file, entry: PACKAGE_JSON },
    );
  return v as PackageManifest;
}

/**
 * Lays the package's records, checkpoints, keys and explanation artefacts out as an archive the importer
 * reads: every records/<stream>.jsonl listed under its stream with the kind package.json gives it (a
 * stream of unknown kind is left to the importer's detection by content).
 */
async function layOutArchive(root: string, dest: string, manifest: PackageManifest): Promise<{ records: string[] }> {
  const records = (await filesUnder(root, 'records')).filter((f) => f.endsWith('.jsonl'));
  if (records.length === 0)
    throw new AuditWsError('UNREADABLE_INPUT', 'the evidence package holds no records (records/*.jsonl)');
  const streams: { name: string; kind: RecordKind; files: string[] }[] = [];
  for (const f of records) {
    const name = f.slice('records/'.length, -'.jsonl'.length);
    const kind = manifest.records?.[name]?.kind;
    if ((RECORD_KINDS as readonly string[]).includes(kind))
      streams.push({ name, kind: kind as RecordKind, files: [f] });
  }
  const copied = [
    ...records,
    ...(await filesUnder(root, 'checkpoints')),
    ...(await filesUnder(root, 'keys')).filter((f) => f.toLowerCase().endsWith('.pem')),
    ...(await filesUnder(root, 'explanations')).filter((f) => f.toLowerCase().endsWith('.json')),
  ];
  for (const f of copied) {
    const to = path.join(dest, ...f.split('/'));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(path.join(root, ...f.split('/')), to);
  }
  const source = manifest.sources?.[0];
  const descriptor = {
    format: 'ai-audit-archive',
    formatVersion: '1.0',
    producer: { name: `${TOOL_NAME} (evidence package)`, version: TOOL_VERSION },
    ...(source?.system !== undefined ? { system: source.system } : {}),
    ...(manifest.createdAt ? { exportedAt: manifest.createdAt } : {}),
    streams,
  };
  writeFileSync(path.join(dest, 'archive.json'), `${JSON.stringify(descriptor, null, 2)}\n`);
  return { records };
}

export async function openPackageAsCase(
  workspace: Workspace,
  file: string,
  options: OpenPackageOptions,
): Promise<OpenedPackageCase> {
  const abs = path.resolve(file);
  let isFolder: boolean;
  try {
    isFolder = statSync(abs).isDirectory();
  } catch {
    throw new AuditWsError('NOT_FOUND', `${file}: no such file or folder`, { file });
  }
  // Workspace.create refuses a taken name too; saying so before the package is read spares the work.
  const wanted = options.name.trim().toLowerCase();
  if (workspace.list().some((c) => c.name.toLowerCase() === wanted))
    throw new AuditWsError(
      'BAD_USAGE',
      `a case named "${options.name.trim()}" already exists in workspace ${workspace.dir}`,
    );
  const progress = (p: OpenPackageProgress): void => options.onProgress?.(p);
  const cancelled = (): void => {
    if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'cancelled: the package was not opened');
  };
  progress({ phase: 'checking the package', fraction: 0, detail: abs });
  const opened = await openPackage(abs);
  let handle: CaseHandle | undefined;
  let created: string | undefined;
  try {
    const manifest = readManifest(opened.root, file);
    cancelled();
    const sha256 = await packageSha256(abs, isFolder);
    handle = await workspace.create(
      options.name,
      {
        actor: options.actor,
        description:
          options.description ??
          `Evidence package ${path.basename(abs)} from case "${manifest.case?.name ?? '?'}" by ${manifest.creator?.investigator ?? '?'} (${manifest.createdAt ?? '?'}), read-only`,
      },
      options.duckdb ? { duckdb: options.duckdb } : {},
    );
    created = handle.dir;
    const keptRel = `${PACKAGE_DIR}/${path.basename(abs)}`;
    const kept = path.join(handle.dir, PACKAGE_DIR, path.basename(abs));
    mkdirSync(path.join(handle.dir, PACKAGE_DIR), { recursive: true });
    if (isFolder) cpSync(abs, kept, { recursive: true });
    else copyFileSync(abs, kept);
    const evidence = path.join(handle.dir, PACKAGE_DIR, EVIDENCE_DIR);
    await layOutArchive(opened.root, evidence, manifest);
    cancelled();

    progress({ phase: 'importing the records', fraction: 0.1 });
    const imported = await importArchives(handle, [evidence], {
      signal: options.signal,
      onProgress: (p) =>
        progress({
          phase: 'importing the records',
          fraction: 0.1 + 0.6 * (p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0),
          ...(p.file ? { detail: p.file } : {}),
          import: p,
        }),
    });
    if (imported.status !== 'done')
      throw new AuditWsError(
        imported.status === 'cancelled' ? 'CANCELLED' : 'UNREADABLE_INPUT',
        `${file}: its records could not be imported (${imported.error ?? imported.status})`,
        { file },
      );
    cancelled();

    progress({ phase: 'verifying the package', fraction: 0.75 });
    const startedAt = new Date().toISOString();
    const verification = await verifyOpenedPackage(abs, opened.root, options);
    cancelled();

    progress({ phase: 'saving', fraction: 0.95 });
    const { runId } = savePackageRun(handle, verification, {
      ...options,
      startedAt,
      packageFile: kept,
      packageSha256: sha256,
    });
    const origin: CaseOrigin = {
      kind: 'evidence-package',
      file: abs,
      sha256,
      kept: keptRel,
      openedAt: new Date().toISOString(),
      openedBy: options.actor,
    };
    if (manifest.case?.name) origin.sourceCase = manifest.case.name;
    if (manifest.creator?.investigator) origin.investigator = manifest.creator.investigator;
    if (manifest.createdAt) origin.createdAt = manifest.createdAt;
    const h = handle;
    h.sqlite.transaction(() => {
      markReadOnly(h.sqlite, readOnlyReason(path.basename(abs), keptRel), origin);
      appendCustody(h.sqlite, options.actor, 'package.opened', {
        file: abs,
        sha256,
        kept: keptRel,
        verdict: verification.verdict,
        runId,
        importId: imported.importId,
        records: verification.records,
        trust: { keys: options.trustKeys ?? [], tsa: options.trustTsa ?? [] },
        package: {
          case: manifest.case?.name ?? null,
          investigator: manifest.creator?.investigator ?? null,
          createdAt: manifest.createdAt ?? null,
          selection: manifest.selection ?? null,
        },
      });
    })();
    progress({ phase: 'saving', fraction: 1 });
    return {
      case: h.info(),
      runId,
      verification,
      importId: imported.importId,
      records: imported.counts.records,
      explanations: verification.explanations,
    };
  } catch (err) {
    await handle?.close().catch(() => undefined);
    handle = undefined;
    if (created) await workspace.delete(path.basename(created)).catch(() => undefined);
    throw err;
  } finally {
    await handle?.close();
    await opened.close();
  }
}

/** What "Open evidence package" answers (the `package.open` job's result): the case made, and the package's verdict. */
export interface PackageOpenResult {
  /** Slug of the new, read-only case. */
  case: string;
  name: string;
  verdict: PackageVerifyReport['verdict'];
  reason: string;
  runId: number;
  records: number;
  provenRecords: number;
  explanations: number;
  checkpoints: number;
  /** Findings that are not passes, by status. */
  fails: number;
  warns: number;
  signature: PackageVerifyReport['signature'];
  /** What package.json says (self-asserted): the case it was cut from, its investigator, when. */
  manifest?: PackageVerifyReport['manifest'];
}

export function packageOpenResult(opened: OpenedPackageCase): PackageOpenResult {
  const v = opened.verification;
  const out: PackageOpenResult = {
    case: opened.case.slug,
    name: opened.case.name,
    verdict: v.verdict,
    reason: v.reason,
    runId: opened.runId,
    records: v.records,
    provenRecords: v.provenRecords,
    explanations: v.explanations,
    checkpoints: v.checkpoints.length,
    fails: v.findings.filter((f) => f.status === 'fail').length,
    warns: v.findings.filter((f) => f.status === 'warn').length,
    signature: v.signature,
  };
  if (v.manifest) out.manifest = v.manifest;
  return out;
}
