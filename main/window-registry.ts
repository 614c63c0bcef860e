// One window per case, as plain bookkeeping without Electron so it is unit tested in Node
// (test/unit/electron-windows.test.ts). The shell (main/windows.ts) asks the registry what to do and then does
// it with real BrowserWindows.
import { AuditWsError } from '../src/errors.ts';

/** What the registry needs of a window: a stable id (the BrowserWindow's id). */
export interface WindowLike {
  readonly id: number;
}

/** What to do when a window asks to show a case. */
export type CaseWindowDecision<W> =
  /** Show it here: the window is the case's window (or was unbound and has just been bound to it). */
  | { action: 'here' }
  /** Another window shows the case already: bring it to the front, the asking window stays where it was. */
  | { action: 'focus'; window: W }
  /** Nobody shows the case: open a new window for it (then `bind` it). */
  | { action: 'create' };

/**
 * Which window shows which case. A window is bound to at most one case for its whole life, and a case has at
 * most one window. A window that is not bound yet (the first window, showing the case list) becomes the window
 * of the first case it opens, so `npm start` shows one window on the demo case rather than two.
 */
export class CaseWindowRegistry<W extends WindowLike> {
  private readonly windows = new Map<number, { window: W; slug?: string }>();
  private readonly bySlug = new Map<string, number>();

  /** Remembers a window; `slug` binds it at once (a window opened for a case). */
  add(window: W, slug?: string): void {
    if (this.windows.has(window.id)) throw new Error(`window ${window.id} is registered already`);
    this.windows.set(window.id, { window });
    if (slug !== undefined) this.bind(window.id, slug);
  }

  /** Binds a registered, unbound window to a case that has no window yet. */
  bind(windowId: number, slug: string): void {
    const entry = this.windows.get(windowId);
    if (!entry) throw new Error(`window ${windowId} is not registered`);
    if (entry.slug === slug) return;
    if (entry.slug !== undefined) throw new Error(`window ${windowId} already shows case "${entry.slug}"`);
    const other = this.bySlug.get(slug);
    if (other !== undefined) throw new Error(`case "${slug}" already has window ${other}`);
    entry.slug = slug;
    this.bySlug.set(slug, windowId);
  }

  /**
   * Window `windowId` wants to show case `slug`: show it here (binding an unbound window), focus the case's own
   * window, or open a new one. `windowId` undefined: the request comes from the native menu, with no window.
   */
  decide(windowId: number | undefined, slug: string): CaseWindowDecision<W> {
    const owner = this.bySlug.get(slug);
    if (owner !== undefined) {
      if (owner === windowId) return { action: 'here' };
      return { action: 'focus', window: this.windows.get(owner)!.window };
    }
    const asking = windowId === undefined ? undefined : this.windows.get(windowId);
    if (asking && asking.slug === undefined) {
      this.bind(asking.window.id, slug);
      return { action: 'here' };
    }
    return { action: 'create' };
  }

  /** Unbinds a window from its case (the case was deleted from that window): it shows the case list again. */
  unbind(windowId: number): void {
    const entry = this.windows.get(windowId);
    if (!entry || entry.slug === undefined) return;
    if (this.bySlug.get(entry.slug) === windowId) this.bySlug.delete(entry.slug);
    entry.slug = undefined;
  }

  /** The case a window is bound to (undefined: unbound, or not a window of this app). */
  caseOf(windowId: number): string | undefined {
    return this.windows.get(windowId)?.slug;
  }

  isRegistered(windowId: number): boolean {
    return this.windows.has(windowId);
  }

  /** The window showing a case. */
  windowOf(slug: string): W | undefined {
    const id = this.bySlug.get(slug);
    return id === undefined ? undefined : this.windows.get(id)?.window;
  }

  /** A window that shows no case (the case list), to focus rather than opening another. */
  unbound(): W | undefined {
    for (const entry of this.windows.values()) if (entry.slug === undefined) return entry.window;
    return undefined;
  }

  /** Forgets a closed window; returns the case it released, which the host then closes. */
  release(windowId: number): string | undefined {
    const entry = this.windows.get(windowId);
    if (!entry) return undefined;
    this.windows.delete(windowId);
    if (entry.slug !== undefined && this.bySlug.get(entry.slug) === windowId) this.bySlug.delete(entry.slug);
    return entry.slug;
  }

  all(): W[] {
    return [...this.windows.values()].map((e) => e.window);
  }

  get size(): number {
    return this.windows.size;
  }
}

/** Requests a window may make whatever case it shows: they name no case, or only read across cases. */
const CASE_FREE = new Set([
  'app.info',
  'archive.inspect',
  'demo.describe',
  'demo.ensureCase',
  'cases.list',
  'cases.create',
  'import.preview',
  'package.verify',
]);

export interface ScopeLookups {
  /** The slug of a case named by slug or name; undefined when there is no such case. */
  slugOf(nameOrSlug: string): string | undefined;
  /** The case a job works on (undefined: a job of no case, or no such job). */
  caseOfJob(id: string): string | undefined;
  /** The window that shows a case, if any (by id). */
  windowOfCase(slug: string): number | undefined;
}

/**
 * The per-window check made before a contract request reaches the dispatcher: a window bound to a case may ask
 * about that case only; a window showing the case list may ask about no case's evidence (it opens the case in a
 * window first). Deleting a case that another window shows is refused: that window would be left on a case that
 * no longer exists. Throws AuditWsError with a sentence saying what to do.
 */
export function checkCaseScope(
  window: { id: number; slug: string | undefined },
  method: string,
  params: unknown,
  lookups: ScopeLookups,
): void {
  if (CASE_FREE.has(method)) return;
  const p =
    typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
  if (method === 'jobs.get' || method === 'jobs.cancel') {
    const jobCase = typeof p.id === 'string' ? lookups.caseOfJob(p.id) : undefined;
    // Following a job is harmless; cancelling another case's work from this window is not.
    if (method === 'jobs.cancel' && jobCase !== undefined && window.slug !== undefined && jobCase !== window.slug) {
      throw new AuditWsError(
        'BAD_USAGE',
        `this window shows case "${window.slug}"; the task belongs to case "${jobCase}": cancel it from that case's window`,
      );
    }
    return;
  }
  if (method === 'jobs.list' && p.case === undefined) return;
  if (typeof p.case !== 'string') return; // the dispatcher refuses the missing member in its own words
  const slug = lookups.slugOf(p.case);
  if (slug === undefined) return; // an unknown case: the dispatcher says which cases there are
  if (method === 'cases.delete') {
    const owner = lookups.windowOfCase(slug);
    if (owner !== undefined && owner !== window.id) {
      throw new AuditWsError(
        'CASE_LOCKED',
        `case "${slug}" is open in its own window: close that window first, then delete the case`,
        { case: slug },
      );
    }
    return;
  }
  if (window.slug === slug) return;
  if (window.slug === undefined) {
    throw new AuditWsError(
      'BAD_USAGE',
      `this window shows no case yet: open case "${slug}" (from the case list or File › Open case…) before asking about it`,
      { case: slug },
    );
  }
  throw new AuditWsError(
    'BAD_USAGE',
    `this window shows case "${window.slug}", not "${slug}": each case has its own window (File › Open case…)`,
    { case: slug },
  );
}
