/**
 * `audit-ws package`: gathers the selection from the case, builds and checks the package, writes the
 * zip, and records the export in the case's custody log with the zip's SHA-256 (the log inside the
 * package ends just before that entry: a file cannot hold its own hash).
 */
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../archive/canonical.ts';
import type { CaseHandle } from '../case/store.ts';
import { diskError } from '../case/fs-errors.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { buildPackage, writePackageZip } from './build.ts';
import type { PackageFile } from './build.ts';
import type { PackageManifest } from './format.ts';
import { gatherFromCase } from './from-case.ts';
import type { PackageSelection } from './from-case.ts';

export interface WritePackageOptions {
  out: string;
  selection: PackageSelection;
  /** PEM file of the investigator's Ed25519 private key; signs SHA256SUMS. */
  signingKeyFile?: string;
  /** Produces the report files for the selected decisions (report.html, report.pdf, findings.json, csv/...). */
  makeReport?: (decisionIds: string[]) => Promise<PackageFile[]>;
  now?: Date;
  /** Cancels the package: checked before it is logged and moved into place, so a cancelled one never appears. */
  signal?: AbortSignal;
}

export interface WritePackageResult {
  file: string;
  sha256: string;
  sumsSha256: string;
  manifest: PackageManifest;
  files: string[];
}

export function loadSigningKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${file}: not a readable private key (${(err as Error).message.split('\n')[0]})`,
      { file },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AuditWsError(
      'UNSUPPORTED',
      `${file}: is a ${key.asymmetricKeyType} key; packages are signed with Ed25519`,
      { file },
    );
  }
  return key;
}

export async function writeEvidencePackage(
  handle: CaseHandle,
  options: WritePackageOptions,
): Promise<WritePackageResult> {
  handle.assertWritable();
  handle.refuseIfReadOnly(
    'cut a new evidence package from it (it holds the packaged records only, not every record their checkpoints cover)',
  );
  const signingKey = options.signingKeyFile ? loadSigningKey(options.signingKeyFile) : undefined;
  const now = options.now ?? new Date();
  const info = handle.info();
  const gathered = await gatherFromCase(handle, options.selection);
  let report: PackageFile[] = [];
  try {
    if (options.makeReport) report = await options.makeReport(gathered.decisionIds);
  } catch (err) {
    throw diskError(err, handle.tempDir(), "preparing the package's report (no package was written)");
  }
  const selection: PackageManifest['selection'] = options.selection.decisionIds
    ? { by: 'decisions', decisionIds: gathered.decisionIds, related: options.selection.related !== false }
    : { by: 'query', query: options.selection.select ?? '', related: options.selection.related !== false };
  const built = await buildPackage({
    createdAt: now,
    creator: { investigator: handle.actor, tool: { name: TOOL_NAME, version: TOOL_VERSION } },
    case: { name: info.name, slug: info.slug, createdAt: info.createdAt, createdBy: info.createdBy },
    selection,
    sources: gathered.sources,
    records: gathered.records,
    checkpoints: gathered.checkpoints,
    leavesOf: gathered.leavesOf,
    keys: gathered.keys,
    explanations: gathered.explanations,
    report,
    custody: gathered.custody,
    notes: gathered.notes,
    signingKey,
  });
  const out = path.resolve(options.out);
  const sumsSha256 = sha256Hex(built.sums);
  const sha256 = await writePackageZip(built.files, out, now, (zipSha256) => {
    if (options.signal?.aborted) {
      throw new AuditWsError('CANCELLED', 'the evidence package was cancelled: no package was written');
    }
    handle.custody('package.exported', {
      file: out,
      sha256: zipSha256,
      sha256sums: sumsSha256,
      // Which decisions left the workstation is the point of this entry; a very long list is kept as its digest.
      decisions:
        gathered.decisionIds.length <= 1000
          ? gathered.decisionIds
          : { count: gathered.decisionIds.length, sha256: sha256Hex([...gathered.decisionIds].sort().join('\n')) },
      selection: selection.by === 'decisions' ? 'by decision id' : selection.query,
      related: selection.related,
      records: gathered.records.length,
      signed: signingKey ? built.manifest.signature?.spkiSha256 : null,
    });
  });
  return { file: out, sha256, sumsSha256, manifest: built.manifest, files: built.files.map((f) => f.path) };
}
