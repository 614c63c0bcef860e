/**
 * What the fault and isolation tests need from the machine beyond a temp folder: a small tmpfs (full disk,
 * read-only folder) and a network namespace (no network at all). Each returns either the thing or the
 * reason it is not available, so a test can skip *visibly* (`ctx.skip(reason)`, reason printed) instead of
 * passing without having run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Available<T> = { ok: true; value: T } | { ok: false; reason: string };

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

export interface Tmpfs {
  dir: string;
  /** Remounts read-only (true) or read-write (false). */
  remount(readOnly: boolean): void;
  /** Unmounts and removes the mount point (safe to call twice). */
  remove(): void;
}

/** A fresh tmpfs of `size` (e.g. '8m') mounted on a new temp folder; needs root (CAP_SYS_ADMIN). */
export function mountTmpfs(size: string, prefix = 'audit-ws-tmpfs-'): Available<Tmpfs> {
  if (process.platform !== 'linux') return { ok: false, reason: `tmpfs needs Linux (this is ${process.platform})` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const m = sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  if (!m.ok) {
    fs.rmSync(dir, { recursive: true, force: true });
    const who = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
    return { ok: false, reason: `cannot mount a tmpfs as ${who} (needs root): ${m.out || 'mount failed'}` };
  }
  let mounted = true;
  return {
    ok: true,
    value: {
      dir,
      remount(readOnly) {
        const r = sh('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir]);
        if (!r.ok) throw new Error(`remount ${readOnly ? 'ro' : 'rw'} ${dir}: ${r.out}`);
      },
      remove() {
        if (mounted) {
          const r = sh('umount', [dir]);
          if (!r.ok) sh('umount', ['-l', dir]);
          mounted = false;
        }
        fs.rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}

/**
 * The command prefix that runs a program in a new network namespace whose only interface is loopback (brought
 * up, so a server on 127.0.0.1 can be reached from inside): `unshare -n` as root, else `unshare -rn` (a user
 * namespace, where the kernel allows it).
 */
export function networkNamespace(): Available<string[]> {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (${process.platform})` };
  if (!sh('sh', ['-c', 'command -v unshare']).ok) return { ok: false, reason: 'unshare (util-linux) is not installed' };
  if (!sh('sh', ['-c', 'command -v ip']).ok)
    return { ok: false, reason: 'ip (iproute2) is not installed: cannot bring loopback up in the namespace' };
  const tried: string[] = [];
  for (const flags of ['-n', '-rn']) {
    const r = sh('unshare', [flags, 'sh', '-c', 'ip link set lo up && cat /proc/net/dev']);
    if (r.ok) return { ok: true, value: ['unshare', flags, 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns'] };
    tried.push(`unshare ${flags}: ${r.out.split('\n')[0]}`);
  }
  return { ok: false, reason: `no network namespace could be made (${tried.join('; ')})` };
}
