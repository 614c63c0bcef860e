/**
 * Output writers (CSV export and its sidecar, evidence package) write under a temporary name beside
 * the output, `.<name>.<pid>.part` (DuckDB's COPY adds `.copy`), and rename it into place when it is
 * complete. A writer that is killed leaves its temporary file behind; the next writer into the same
 * folder removes the ones whose process is gone (removeStalePartFiles). A file whose process still runs
 * (another export writing now) is left alone, and so is anything not named so.
 *
 * Writers that stage a whole set of files (the report) do the same with a folder, `.<kind>-<pid>-<random>`
 * (makeStagingDir, removeStaleStagingDirs).
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The temporary name of `outFile` for this process. */
export function partFileOf(outFile: string): string {
  return path.join(path.dirname(outFile), `.${path.basename(outFile)}.${process.pid}.part`);
}

const PART_FILE = /^\..+\.(\d+)\.part(\.copy)?$/;

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files killed writers left in `dir` (regular files named `.<name>.<pid>.part`
 * or `.<name>.<pid>.part.copy` whose process no longer runs). Returns the names removed; a folder that
 * cannot be listed, or a file that cannot be removed, is left as it is (the writer then reports its own
 * error, if any).
 */
export function removeStalePartFiles(dir: string): string[] {
  return removeStale(dir, PART_FILE, 'file');
}

/** Removes the entries of `dir` whose name matches `pattern` (group 1: a pid) and whose process is gone. */
function removeStale(dir: string, pattern: RegExp, type: 'file' | 'dir'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processRuns(Number(m[1]))) continue;
    const p = path.join(dir, name);
    try {
      const st = lstatSync(p);
      if (type === 'file' ? !st.isFile() : !st.isDirectory()) continue;
      rmSync(p, { recursive: type === 'dir', force: true });
      removed.push(name);
    } catch {
      // left for the next writer
    }
  }
  return removed;
}

/**
 * A new private staging folder in `dir` for this process, `.<kind>-<pid>-<random>`: the pid in its name tells
 * the next writer whether the one that made it still runs (removeStaleStagingDirs).
 */
export function makeStagingDir(dir: string, kind: string): string {
  return mkdtempSync(path.join(dir, `.${kind}-${process.pid}-`));
}

/**
 * Removes the staging folders killed writers left in `dir` (folders named `.<kind>-<pid>-<random>` whose
 * process no longer runs), with everything in them. Returns the names removed; a folder of a running
 * process, anything else, and a folder that cannot be removed are left as they are.
 */
export function removeStaleStagingDirs(dir: string, kind: string): string[] {
  // `kind` is a plain word of ours (checked), so it needs no escaping in the pattern.
  if (!/^[a-z]+$/.test(kind)) throw new Error(`staging kind must be a lowercase word, not "${kind}"`);
  return removeStale(dir, new RegExp(`^\\.${kind}-(\\d+)-[A-Za-z0-9]{6}$`), 'dir');
}
