/**
 * The cases of a workspace: `<workspace>/cases/<slug>/`. The workspace is `--workspace DIR`, else
 * AUDIT_WS_WORKSPACE, else the per-user application-data folder (resolveWorkspace, shared with the app
 * shell so the desktop app, browser mode and the CLI see the same cases).
 *
 * A case has a display name (unique in the workspace, compared case-insensitively) and a slug, the
 * folder name made from the name when the case was created. Renaming changes the name only, so the
 * folder (and anything that points at it) stays put; `--case` accepts either.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { makeCopiesDeletable } from './source-copies.ts';
import path from 'node:path';
import { resolveWorkspace } from '../contract/workspace.ts';
import { AuditWsError } from '../errors.ts';
import { LOCK_FILE, acquireCaseLock, describeOwner, ownerGone } from './lock.ts';
import type { LockOwner } from './lock.ts';
import { CASE_SQLITE, CaseHandle, openCaseSqliteReadOnly, readCaseInfo } from './store.ts';
import type { CaseInfo, OpenCaseOptions } from './store.ts';
import { appendCustody } from './custody.ts';

export const CASES_DIR = 'cases';
const MAX_NAME_LENGTH = 200;
/** Names Windows refuses for a folder. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** A folder name from a case name: lowercase ASCII letters, digits and dashes. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  if (slug === '') return 'case';
  return RESERVED.test(slug) ? `${slug}-case` : slug;
}

export interface ImportTotals {
  imports: number;
  records: number;
  rejected: number;
  lastImportAt?: string;
}

export interface CaseSummary extends CaseInfo {
  /** Imports that finished, and the records / rejects they brought in (from case.sqlite). */
  totals: ImportTotals;
  /** Set while some process holds the case open for writing. */
  inUseBy?: string;
  /** An import whose process died; the case is cleaned up the next time it is opened for writing. */
  interruptedImports: number;
}

function validName(name: string): string {
  const n = name.trim();
  if (n === '') throw new AuditWsError('BAD_USAGE', 'a case name cannot be empty');
  if (n.length > MAX_NAME_LENGTH)
    throw new AuditWsError('BAD_USAGE', `a case name is at most ${MAX_NAME_LENGTH} characters`);
  if ([...n].some((ch) => ch.charCodeAt(0) < 0x20))
    throw new AuditWsError('BAD_USAGE', 'a case name cannot hold control characters');
  return n;
}

function readLock(dir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export class Workspace {
  readonly casesDir: string;

  constructor(readonly dir: string) {
    this.casesDir = path.join(dir, CASES_DIR);
  }

  /** `--workspace DIR` when given, else AUDIT_WS_WORKSPACE, else the OS application-data folder. */
  static resolve(explicit?: string): Workspace {
    return new Workspace(explicit ? path.resolve(explicit) : resolveWorkspace());
  }

  /** Folders that hold a case (skipping the staging folders of a case being created). */
  private caseDirs(): string[] {
    if (!existsSync(this.casesDir)) return [];
    return readdirSync(this.casesDir, { withFileTypes: true })
      .filter(
        (e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(path.join(this.casesDir, e.name, CASE_SQLITE)),
      )
      .map((e) => path.join(this.casesDir, e.name))
      .sort();
  }

  private infoOf(dir: string): CaseInfo {
    // Only the header and schema are checked here (find and locate call this for every case folder).
    const db = openCaseSqliteReadOnly(dir, { check: false });
    try {
      return readCaseInfo(db, dir);
    } finally {
      db.close();
    }
  }

  /** The folder of the case with this name (compared without regard to case), if any. */
  private byName(name: string): string | undefined {
    const wanted = name.trim().toLowerCase();
    return this.caseDirs().find((d) => this.infoOfSafe(d)?.name.toLowerCase() === wanted);
  }

  /** The folder of a case given by name (case-insensitive) or slug; undefined when there is none. */
  find(nameOrSlug: string): string | undefined {
    const wanted = nameOrSlug.trim();
    const dirs = this.caseDirs();
    return (
      this.byName(wanted) ??
      dirs.find((d) => path.basename(d) === wanted) ??
      dirs.find((d) => path.basename(d) === slugify(wanted))
    );
  }

  /** Like find, but an unknown case is an error that lists the cases there are. */
  locate(nameOrSlug: string): string {
    const dir = this.find(nameOrSlug);
    if (dir) return dir;
    const names = this.caseDirs().map((d) => {
      try {
        return this.infoOf(d).name;
      } catch {
        return path.basename(d);
      }
    });
    const known = names.length > 0 ? `cases here: ${names.join(', ')}` : 'there are no cases yet';
    throw new AuditWsError('NOT_FOUND', `no case "${nameOrSlug}" in workspace ${this.dir} (${known})`);
  }

  /** Creates a case and returns it open for writing. */
  async create(
    name: string,
    init: { actor: string; description?: string },
    options: Omit<OpenCaseOptions, 'mode' | 'actor'> = {},
  ): Promise<CaseHandle> {
    const n = validName(name);
    if (this.byName(n))
      throw new AuditWsError('BAD_USAGE', `a case named "${n}" already exists in workspace ${this.dir}`);
    const base = slugify(n);
    let slug = base;
    for (let i = 2; existsSync(path.join(this.casesDir, slug)); i++) slug = `${base}-${i}`;
    return CaseHandle.create(
      path.join(this.casesDir, slug),
      { name: n, slug, description: init.description, actor: init.actor },
      options,
    );
  }

  private infoOfSafe(dir: string): CaseInfo | undefined {
    try {
      return this.infoOf(dir);
    } catch {
      return undefined;
    }
  }

  async open(nameOrSlug: string, options: OpenCaseOptions): Promise<CaseHandle> {
    return CaseHandle.open(this.locate(nameOrSlug), options);
  }

  /** Opens the case for writing, creating it first when it does not exist; `created` says which. */
  async openOrCreate(
    name: string,
    options: Omit<OpenCaseOptions, 'mode'> & { actor: string },
  ): Promise<{ handle: CaseHandle; created: boolean }> {
    const dir = this.find(name);
    if (dir) return { handle: await CaseHandle.open(dir, { ...options, mode: 'write' }), created: false };
    return { handle: await this.create(name, { actor: options.actor }, options), created: true };
  }

  summary(dir: string): CaseSummary {
    const db = openCaseSqliteReadOnly(dir);
    try {
      const info = readCaseInfo(db, dir);
      const rows = db.prepare("SELECT counts, finished_at FROM imports WHERE status = 'done' ORDER BY id").all() as {
        counts: string | null;
        finished_at: string | null;
      }[];
      const totals: ImportTotals = { imports: rows.length, records: 0, rejected: 0 };
      for (const r of rows) {
        const c = r.counts ? (JSON.parse(r.counts) as { records?: number; rejected?: number }) : {};
        totals.records += c.records ?? 0;
        totals.rejected += c.rejected ?? 0;
        if (r.finished_at) totals.lastImportAt = r.finished_at;
      }
      const interrupted = db.prepare("SELECT count(*) AS n FROM imports WHERE status = 'running'").get() as {
        n: number;
      };
      const summary: CaseSummary = { ...info, totals, interruptedImports: 0 };
      const owner = readLock(dir);
      if (owner && !ownerGone(owner)) summary.inUseBy = describeOwner(owner);
      else summary.interruptedImports = interrupted.n;
      return summary;
    } finally {
      db.close();
    }
  }

  list(): CaseSummary[] {
    const out: CaseSummary[] = [];
    for (const dir of this.caseDirs()) {
      try {
        out.push(this.summary(dir));
      } catch {
        // A folder whose case.sqlite cannot be read is not listed as a case; `case show` on it says why.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Renames a case (its display name; the folder stays). Refused while another process writes it. */
  async rename(nameOrSlug: string, newName: string, actor: string): Promise<CaseInfo> {
    const dir = this.locate(nameOrSlug);
    const n = validName(newName);
    const clash = this.byName(n);
    if (clash && clash !== dir) {
      throw new AuditWsError('BAD_USAGE', `a case named "${n}" already exists in workspace ${this.dir}`);
    }
    const handle = await CaseHandle.open(dir, { mode: 'write', actor, purpose: 'audit-ws case rename' });
    try {
      const old = handle.info().name;
      handle.sqlite.transaction(() => {
        handle.sqlite.prepare('UPDATE case_info SET name = ? WHERE id = 1').run(n);
        appendCustody(handle.sqlite, actor, 'case.renamed', { from: old, to: n });
      })();
      return handle.info();
    } finally {
      await handle.close();
    }
  }

  /**
   * Deletes a case folder with everything in it. Refused while another process has it open; the folder
   * is first renamed aside so a crash midway leaves no half case behind.
   */
  async delete(nameOrSlug: string): Promise<CaseInfo> {
    const dir = this.locate(nameOrSlug);
    const info = this.infoOf(dir);
    const lock = acquireCaseLock(path.join(dir, LOCK_FILE), info.name, 'audit-ws case delete');
    const aside = path.join(this.casesDir, `.deleting-${path.basename(dir)}-${process.pid}`);
    try {
      renameSync(dir, aside);
    } catch (err) {
      lock.release();
      throw err;
    }
    makeCopiesDeletable(aside);
    rmSync(aside, { recursive: true, force: true });
    return info;
  }
}
