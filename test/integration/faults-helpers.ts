/**
 * Shared by the fault tests (faults-*.test.ts): running the real CLI as a child process, killing it with
 * SIGKILL at a chosen moment (seen from /proc: a file it holds open, a Chromium it started), and a snapshot
 * of everything a case holds, to show that a fault left the case exactly as it was.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(REPO, 'bin', 'audit-ws.mjs');
export const INVESTIGATOR = 'fault-tester';

const made: string[] = [];

export function tempDir(prefix = 'audit-ws-faults-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Starts `audit-ws ARGS` (through bin/audit-ws.mjs, as a user runs it). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AUDIT_WS_INVESTIGATOR: INVESTIGATOR, ...env };
  if (env.AUDIT_WS_WORKSPACE === undefined) delete childEnv.AUDIT_WS_WORKSPACE;
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Paths of the files a process holds open right now (Linux /proc; [] once it has gone). */
export function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(fs.readlinkSync(path.join(dir, fd)));
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}

/** Pids of every process below `pid` (children, grandchildren, ...). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface KillOutcome {
  /** True when the condition was seen and SIGKILL sent while the command still ran. */
  killed: boolean;
  result: CliResult;
  /** What the condition saw when it fired (for the failure message). */
  seen?: string;
}

/**
 * Polls `when` (every 10 ms) while the command runs and sends SIGKILL the first time it returns a string
 * (a description of what it saw). When the command ends first, `killed` is false: the test then failed to
 * hit the moment it wanted, and says so rather than passing.
 */
export async function killWhen(
  running: RunningCli,
  when: (pid: number) => string | undefined,
  timeoutMs = 180_000,
): Promise<KillOutcome> {
  const pid = running.child.pid as number;
  let exited = false;
  void running.done.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    const seen = when(pid);
    if (seen !== undefined && !exited) {
      running.child.kill('SIGKILL');
      return { killed: true, result: await running.done, seen };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!exited) running.child.kill('SIGKILL');
  return { killed: false, result: await running.done };
}

/** Condition for killWhen: the process holds open a file whose path matches. */
export function holdsOpen(pattern: RegExp): (pid: number) => string | undefined {
  return (pid) => openFiles(pid).find((f) => pattern.test(f));
}

/** Condition for killWhen: a process below it runs a program whose command line matches (e.g. Chromium). */
export function runsChild(pattern: RegExp): (pid: number) => string | undefined {
  return (pid) => {
    for (const p of descendants(pid)) {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (pattern.test(cmd)) return `${p}: ${cmd.slice(0, 120)}`;
      } catch {
        // gone
      }
    }
    return undefined;
  };
}

/** Waits until none of these pids runs any more (e.g. Chromium after its parent was killed). */
export async function waitGone(pids: readonly number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(processAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = alive.filter(processAlive);
  }
  return alive;
}

export interface CaseSnapshot {
  imports: unknown[];
  sourceFiles: number;
  rejects: number;
  verificationRuns: unknown[];
  findings: unknown[];
  custody: { seq: number; action: string; hash: string }[];
  annotations: number;
  evidence: Record<string, unknown>;
  /** The case's copies of source files (sources/): name, size and SHA-256 of each, part files included. */
  sources: string[];
}

/**
 * Everything the case holds, read without our code in the way for case.sqlite (better-sqlite3 directly, read
 * only) and through a read-only CaseHandle for the evidence (row counts, id ranges and a content digest of
 * every table).
 */
export async function snapshotCase(caseDir: string): Promise<CaseSnapshot> {
  const db = new Database(path.join(caseDir, 'case.sqlite'), { readonly: true, fileMustExist: true });
  let snap: Omit<CaseSnapshot, 'evidence' | 'sources'>;
  try {
    const all = (sql: string) => db.prepare(sql).all();
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    snap = {
      imports: all('SELECT id, status, counts, error FROM imports ORDER BY id'),
      sourceFiles: one('SELECT count(*) AS n FROM source_files'),
      rejects: one('SELECT count(*) AS n FROM rejects'),
      verificationRuns: all('SELECT id, status, started_at, summary FROM verification_runs ORDER BY id'),
      findings: all('SELECT run_id, count(*) AS n FROM findings GROUP BY run_id ORDER BY run_id'),
      custody: all('SELECT seq, action, hash FROM custody_log ORDER BY seq') as CaseSnapshot['custody'],
      annotations: one('SELECT count(*) AS n FROM annotations'),
    };
  } finally {
    db.close();
  }
  const handle = await CaseHandle.open(caseDir, { mode: 'read' });
  const evidence: Record<string, unknown> = {};
  try {
    for (const t of ['decisions', 'lifecycle_events', 'reviews', 'outcomes']) {
      const r = await handle.duck.runAndReadAll(
        `SELECT count(*)::BIGINT AS n, min(import_id) AS lo, max(import_id) AS hi, sum(hash(t))::VARCHAR AS digest FROM ${t} t`,
      );
      const [n, lo, hi, digest] = r.getRowsJS()[0];
      evidence[t] = { n: Number(n), lo: lo === null ? null : Number(lo), hi: hi === null ? null : Number(hi), digest };
    }
  } finally {
    await handle.close();
  }
  return { ...snap, evidence, sources: sourceCopies(caseDir) };
}

function sourceCopies(caseDir: string): string[] {
  const dir = path.join(caseDir, 'sources');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(dir, name));
      return `${name} ${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`;
    });
}

/** `audit-ws custody --case NAME --verify` through the CLI; returns its result (status 0: intact). */
export function verifyCustodyCli(workspace: string, caseName: string): Promise<CliResult> {
  return cli(['custody', '--case', caseName, '--workspace', workspace, '--verify']);
}

/** Files under `dir` that look like finished output: not hidden, not a temporary `.part` / `.copy`. */
export function completeLookingFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (!/\.part(\.copy)?$/.test(e.name)) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/**
 * Creates case `name` in `workspace` from `archives` (the import must succeed), runs `then` on it (more
 * state to start from), closes it, and returns the case folder.
 */
export async function importedCase(
  workspace: string,
  name: string,
  archives: readonly string[],
  then?: (handle: CaseHandle) => Promise<unknown> | void,
): Promise<string> {
  const ws = new Workspace(workspace);
  const h = await ws.create(name, { actor: INVESTIGATOR });
  try {
    const result = await importArchives(h, [...archives]);
    if (result.status !== 'done') throw new Error(`importing ${archives.join(', ')} ended ${result.status}`);
    await then?.(h);
  } finally {
    await h.close();
  }
  return ws.locate(name);
}

/** Opens the case for writing (taking over a stale lock, recovering an interrupted import) and closes it. */
export async function reopenForWriting(workspace: string, caseName: string): Promise<string[]> {
  const handle = await new Workspace(workspace).open(caseName, { mode: 'write', actor: INVESTIGATOR });
  const notices = [...handle.notices];
  await handle.close();
  return notices;
}

/** Bytes free for us under `dir` right now. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * Fills the file system holding `dir` with a hidden ballast file until only about `leaveBytes` are free, and
 * returns a function that removes it again.
 */
export function fillDisk(dir: string, leaveBytes: number): () => void {
  const ballast = path.join(dir, `.ballast-${process.pid}-${Date.now()}`);
  const fd = fs.openSync(ballast, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (let free = freeBytes(dir); free > leaveBytes; free = freeBytes(dir)) {
      const n = Math.min(chunk.length, free - leaveBytes);
      try {
        fs.writeSync(fd, chunk, 0, Math.max(n, 1));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return () => fs.rmSync(ballast, { force: true });
}
