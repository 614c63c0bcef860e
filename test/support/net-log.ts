/** Reading what test/support/net-guard.mjs recorded (one JSON object per line). */
import fs from 'node:fs';
import path from 'node:path';

export interface GuardEntry {
  pid: number;
  thread: number;
  kind: string;
  main?: boolean;
  allowed?: boolean;
  host?: string;
  path?: string;
  stack?: string[];
}

export function readGuardLog(file: string): GuardEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as GuardEntry);
}

/**
 * tsx, which runs the TypeScript sources, probes for the IPC pipe of a parent `tsx watch` (a Unix socket named
 * after the parent pid under the temp folder). It is tooling, not our code, and a Unix socket reaches no
 * network; the guard refuses it all the same and tsx carries on without.
 */
export function isTsxIpcProbe(e: GuardEntry): boolean {
  return (
    e.kind === 'connect' &&
    /[\\/]tsx-\d+[\\/]\d+\.pipe$/.test(e.path ?? '') &&
    (e.stack ?? []).some((s) => s.includes(`node_modules${path.sep}tsx${path.sep}`))
  );
}

/** Every recorded network attempt (not the guard's own "loaded" lines, loopback listens or tsx's probe). */
export function networkAttempts(entries: readonly GuardEntry[]): GuardEntry[] {
  return entries.filter((e) => e.kind !== 'loaded' && !(e.kind === 'listen' && e.allowed) && !isTsxIpcProbe(e));
}
