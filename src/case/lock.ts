/**
 * One writer per case: a lock file created exclusively in the case folder (hard-linked into place, so it
 * is never seen half-written), holding the pid, host and purpose of its owner. A second writer is refused
 * with a message naming the holder. A lock left by a process that no longer exists (a crash, kill -9) is
 * taken over by exactly one process, and the takeover is reported, because the case may hold an
 * interrupted import that the new owner must clean up.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { AuditWsError } from '../errors.ts';

export const LOCK_FILE = 'case.lock';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  purpose: string;
}

export interface AcquiredLock {
  path: string;
  owner: LockOwner;
  /** The owner of a stale lock this process took over, if any. */
  tookOverFrom?: LockOwner;
  release(): void;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof v.pid !== 'number') return undefined;
    return { pid: v.pid, host: String(v.host ?? ''), since: String(v.since ?? ''), purpose: String(v.purpose ?? '') };
  } catch {
    return undefined;
  }
}

/** Link errors of file systems without hard links (FAT, exFAT, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Creates the lock file holding `owner`, or returns false when one exists. The owner is written to a
 * private file first and hard-linked into place, so the lock never appears empty or half-written: a
 * process reading it while it is being made would otherwise take it for crash debris and take it over,
 * and two writers would both believe they hold the case.
 */
function tryCreate(path: string, owner: LockOwner): boolean {
  const text = `${JSON.stringify(owner)}\n`;
  let draft: string;
  try {
    draft = writeDraft(path, text);
  } catch {
    // A read-only or full folder: the in-place way fails the same way, naming the lock file itself.
    return createFilled(path, text);
  }
  try {
    linkSync(draft, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
    return createFilled(path, text);
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // already gone
    }
  }
}

/** Writes `text` to a new private file beside `path` and returns its name. */
function writeDraft(path: string, text: string): string {
  const draft = `${path}.new-${process.pid}-${Math.random().toString(36).slice(2)}`;
  createFilled(draft, text);
  return draft;
}

/**
 * Creates `path` exclusively holding `text`; false when it exists. A file that could not be filled in (a
 * full disk) is removed. Used directly for the lock only where hard links are not supported: the lock is
 * then briefly empty (see readHolder).
 */
function createFilled(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
  return true;
}

/** How long an unreadable lock file may be one being written right now, rather than crash debris. */
export const UNREADABLE_LOCK_GRACE_MS = 2000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The owner named by the lock file; `undefined` when the file is unreadable and old enough to be debris
 * of a crash while it was written; `null` when there is no lock file any more.
 */
function readHolder(path: string): LockOwner | undefined | null {
  for (;;) {
    const owner = readOwner(path);
    if (owner) return owner;
    let age: number;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (age >= UNREADABLE_LOCK_GRACE_MS) return undefined;
    sleepSync(Math.min(50, UNREADABLE_LOCK_GRACE_MS - age + 1));
  }
}

/** Whether a lock owner is certainly gone: same host and no such process. */
export function ownerGone(owner: LockOwner): boolean {
  return owner.host === os.hostname() && !processAlive(owner.pid);
}

export function describeOwner(o: LockOwner): string {
  const where = o.host === os.hostname() ? '' : ` on ${o.host}`;
  return `process ${o.pid}${where} (${o.purpose || 'audit-ws'}, since ${o.since})`;
}

/** Suffix of the file that lets one process at a time remove a stale lock. */
const TAKEOVER_SUFFIX = '.takeover';

function sameOwner(a: LockOwner | undefined, b: LockOwner | undefined): boolean {
  if (!a || !b) return a === b;
  return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/**
 * Replaces the stale lock `stale` (undefined: unreadable debris) by one naming `me`, if it is still the
 * one in place. Only the process holding the takeover file may replace a lock, and it re-reads the lock
 * first: a lock is only ever created where none exists, so the stale one it read cannot have become a
 * live one unless somebody replaced it, and nobody else can. The rename is atomic, so there is no moment
 * without a lock for a newcomer to slip into. Returns whether this process now holds the lock.
 */
function replaceStaleLock(lockPath: string, stale: LockOwner | undefined, me: LockOwner): boolean {
  const takeover = `${lockPath}${TAKEOVER_SUFFIX}`;
  if (!tryCreate(takeover, me)) {
    const other = readHolder(takeover);
    if (other === null) return false; // just released: try again
    // A takeover file left by a process that died inside these few lines: moved aside, and put back if
    // it turns out to be a live one made meanwhile.
    if (other === undefined || ownerGone(other)) {
      const aside = `${takeover}.stale-${process.pid}`;
      try {
        renameSync(takeover, aside);
        const moved = readOwner(aside);
        if (moved && !sameOwner(moved, other)) {
          try {
            linkSync(aside, takeover);
          } catch {
            // another process holds the takeover file now
          }
        }
        unlinkSync(aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    } else sleepSync(5);
    return false;
  }
  try {
    const current = readHolder(lockPath);
    if (current === null || !sameOwner(current, stale)) return false;
    const draft = writeDraft(lockPath, `${JSON.stringify(me)}\n`);
    try {
      renameSync(draft, lockPath);
    } catch (err) {
      unlinkSync(draft);
      throw err;
    }
    return true;
  } finally {
    try {
      unlinkSync(takeover);
    } catch {
      // moved aside by a process that took it for debris; it is not ours any more either way
    }
  }
}

export function acquireCaseLock(lockPath: string, caseName: string, purpose: string): AcquiredLock {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), purpose };
  const giveUpAt = Date.now() + 10_000;
  const held = (tookOverFrom?: LockOwner): AcquiredLock => {
    const lock: AcquiredLock = {
      path: lockPath,
      owner,
      release() {
        if (sameOwner(readOwner(lockPath), owner)) {
          try {
            unlinkSync(lockPath);
          } catch {
            // already gone: nothing to release
          }
        }
      },
    };
    if (tookOverFrom) lock.tookOverFrom = tookOverFrom;
    return lock;
  };
  while (Date.now() < giveUpAt) {
    if (tryCreate(lockPath, owner)) return held();
    const holder = readHolder(lockPath);
    if (holder === null) continue;
    if (holder && !ownerGone(holder)) {
      if (holder.pid === process.pid && holder.host === os.hostname()) {
        throw new AuditWsError('CASE_LOCKED', `case "${caseName}" is already open for writing in this process`, {
          holder,
        });
      }
      throw new AuditWsError(
        'CASE_LOCKED',
        `case "${caseName}" is in use by ${describeOwner(holder)}; try again when it has finished`,
        {
          holder,
        },
      );
    }
    // Stale (owner gone) or unreadable (a crash while writing it): replaced by one process at a time.
    if (replaceStaleLock(lockPath, holder, owner)) {
      return held(holder ?? { pid: 0, host: '', since: '', purpose: 'unreadable lock file' });
    }
  }
  throw new AuditWsError('CASE_LOCKED', `case "${caseName}": could not take the lock ${lockPath}`, {});
}
