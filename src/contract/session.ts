/**
 * What the UI's host process keeps between requests: the cases it has open and the jobs it runs. A case is
 * opened for writing once (a CaseHandle owns case.sqlite, evidence.duckdb and the case lock) and kept open
 * while the host runs, so screens answer without reopening DuckDB. An import has the case to itself: other
 * requests on that case are refused with a sentence saying so until it ends, because the importer works
 * inside one DuckDB transaction on the case's connection.
 */
import path from 'node:path';
import { resolveInvestigator } from '../case/custody.ts';
import { explainCaseError } from '../case/store.ts';
import type { CaseHandle } from '../case/store.ts';
import { Workspace } from '../case/workspace.ts';
import { AuditWsError } from '../errors.ts';
import { JobRegistry } from './jobs.ts';
import type { HandlerContext } from './types.ts';

interface OpenCase {
  handle: CaseHandle;
  /** Close the handle once the exclusive task ends, so the next request opens the case afresh. */
  reopen?: boolean;
  /** Set while an exclusive task (an import) runs: what to tell other requests. */
  exclusive?: string;
  /** Requests using the handle right now (the handle closes only when none is). */
  users: number;
}

export class CaseSessions {
  readonly workspace: Workspace;
  private readonly open = new Map<string, OpenCase>();
  private readonly opening = new Map<string, Promise<OpenCase>>();
  /** Set when the host stops: no case is opened again after that. */
  private closed = false;

  constructor(
    workspaceDir: string,
    readonly actor: string = resolveInvestigator(),
  ) {
    this.workspace = new Workspace(workspaceDir);
  }

  /** The folder name (slug) of a case given by slug or name; NOT_FOUND lists the cases there are. */
  slugOf(nameOrSlug: string): string {
    return path.basename(this.workspace.locate(nameOrSlug));
  }

  isOpen(slug: string): boolean {
    return this.open.has(slug);
  }

  /** Runs `fn` with the case's handle (opened on first use). Refused while an import holds the case. */
  async use<T>(nameOrSlug: string, fn: (handle: CaseHandle) => Promise<T> | T): Promise<T> {
    const entry = await this.entry(this.slugOf(nameOrSlug));
    if (entry.exclusive) throw new AuditWsError('CASE_LOCKED', entry.exclusive);
    entry.users++;
    try {
      return await fn(entry.handle);
    } catch (err) {
      // A damaged block or page found by this request's query: named like a damaged file found on opening.
      throw explainCaseError(err, entry.handle.dir);
    } finally {
      entry.users--;
    }
  }

  /**
   * Runs `fn` with the case to itself; `why` is what other requests are told meanwhile, e.g.
   * `case "Demo" is importing: its screens are back when the import has finished`.
   */
  async exclusive<T>(nameOrSlug: string, why: string, fn: (handle: CaseHandle) => Promise<T>): Promise<T> {
    const entry = await this.entry(this.slugOf(nameOrSlug));
    if (entry.exclusive) throw new AuditWsError('CASE_LOCKED', entry.exclusive);
    entry.exclusive = why;
    try {
      // New requests are refused from here on; let the ones already running finish first.
      while (entry.users > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return await fn(entry.handle);
    } catch (err) {
      throw explainCaseError(err, entry.handle.dir);
    } finally {
      if (entry.reopen) {
        // Still exclusive while it closes: a request meanwhile is told to wait, never given a closing handle.
        await entry.handle.close().catch(() => undefined);
        this.open.delete(path.basename(entry.handle.dir));
      }
      entry.exclusive = undefined;
    }
  }

  /**
   * Asks for the case to be opened afresh when the running exclusive task ends: after a bulk load, a new
   * DuckDB connection reads the case much faster than the one that wrote it.
   */
  reopenAfterExclusive(slug: string): void {
    const entry = this.open.get(slug);
    if (entry) entry.reopen = true;
  }

  /** What stops other requests on the case right now, if anything. */
  busyReason(slug: string): string | undefined {
    return this.open.get(slug)?.exclusive;
  }

  /** Closes a case's handle (before deleting it, or when the host stops). */
  async close(slug: string): Promise<void> {
    const entry = this.open.get(slug);
    if (!entry) return;
    if (entry.exclusive) throw new AuditWsError('CASE_LOCKED', entry.exclusive);
    this.open.delete(slug);
    await entry.handle.close();
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(entries.map((e) => e.handle.close().catch(() => undefined)));
  }

  private async entry(slug: string): Promise<OpenCase> {
    if (this.closed) throw new AuditWsError('CANCELLED', 'the workstation is shutting down: the case was not opened');
    const existing = this.open.get(slug);
    if (existing) return existing;
    let pending = this.opening.get(slug);
    if (!pending) {
      pending = (async () => {
        const handle = await this.workspace.open(slug, {
          mode: 'write',
          actor: this.actor,
          purpose: 'the workstation UI (audit-ws serve or the desktop app)',
        });
        const entry: OpenCase = { handle, users: 0 };
        this.open.set(slug, entry);
        return entry;
      })().finally(() => this.opening.delete(slug));
      this.opening.set(slug, pending);
    }
    return pending;
  }
}

export interface Session {
  cases: CaseSessions;
  jobs: JobRegistry;
}

const sessions = new Map<string, Session>();

/** One session per workspace per process: every dispatcher of a host shares its open cases and jobs. */
export function sessionFor(context: HandlerContext): Session {
  const key = path.resolve(context.workspace);
  let session = sessions.get(key);
  if (!session) {
    session = { cases: new CaseSessions(key), jobs: new JobRegistry() };
    sessions.set(key, session);
  }
  return session;
}

/** Cancels running jobs and closes every open case (the host is stopping; tests end). */
export async function closeSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) {
    await s.jobs.cancelAll();
    await s.cases.closeAll();
  }
}
