/**
 * One writer per case: a lock file created exclusively (O_EXCL) in the case folder, holding the pid,
 * host and purpose of its owner. A second writer is refused with a message naming the holder. A lock
 * left by a process that no longer exists (a crash, kill -9) is taken over, and the takeover is
 * reported, because the case may hold an interrupted import that the new owner must clean up.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
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

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } catch (err) {
    // A lock we could not fill in (a full disk) must not stay behind for the next opener to puzzle over.
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
  return true;
}

/** Whether a lock owner is certainly gone: same host and no such process. */
export function ownerGone(owner: LockOwner): boolean {
  return owner.host === os.hostname() && !processAlive(owner.pid);
}

export function describeOwner(o: LockOwner): string {
  const where = o.host === os.hostname() ? '' : ` on ${o.host}`;
  return `process ${o.pid}${where} (${o.purpose || 'audit-ws'}, since ${o.since})`;
}

export function acquireCaseLock(lockPath: string, caseName: string, purpose: string): AcquiredLock {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), purpose };
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath, owner)) {
      const lock: AcquiredLock = {
        path: lockPath,
        owner,
        release() {
          const current = readOwner(lockPath);
          if (current && current.pid === owner.pid && current.since === owner.since) {
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
    }
    const holder = readOwner(lockPath);
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
    // Stale (owner gone) or unreadable (a crash while writing it): move it aside, then race for a new one;
    // the rename makes sure two processes taking over at once cannot both win.
    const aside = `${lockPath}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(lockPath, aside);
      const moved = readOwner(aside);
      if (holder && moved && (moved.pid !== holder.pid || moved.since !== holder.since)) {
        // Another process took the stale lock over between our read and our rename: give it back.
        try {
          linkSync(aside, lockPath);
        } catch {
          // a third process holds it now; either way it is not ours
        }
        unlinkSync(aside);
        continue;
      }
      unlinkSync(aside);
      tookOverFrom = holder ?? { pid: 0, host: '', since: '', purpose: 'unreadable lock file' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new AuditWsError('CASE_LOCKED', `case "${caseName}": could not take the lock ${lockPath}`, {});
}
