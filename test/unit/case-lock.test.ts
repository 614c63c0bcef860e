import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { acquireCaseLock, processAlive } from '../../src/case/lock.ts';
import { AuditWsError } from '../../src/errors.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'case-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has certainly ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  expect(processAlive(pid)).toBe(false);
  return pid;
}

describe('case lock', () => {
  it('refuses a second writer, naming the holder', () => {
    const lockPath = path.join(tempDir(), 'case.lock');
    // A lock held by another live process (our parent stands in for it).
    fs.writeFileSync(
      lockPath,
      JSON.stringify({
        pid: process.ppid,
        host: os.hostname(),
        since: '2026-01-01T00:00:00Z',
        purpose: 'audit-ws import',
      }),
    );
    let err: unknown;
    try {
      acquireCaseLock(lockPath, 'Alpha', 'audit-ws import');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).code).toBe('CASE_LOCKED');
    expect((err as AuditWsError).message).toContain(`process ${process.ppid}`);
    expect((err as AuditWsError).message).toContain('audit-ws import');
  });

  it('refuses a second open in the same process', () => {
    const lockPath = path.join(tempDir(), 'case.lock');
    const lock = acquireCaseLock(lockPath, 'Alpha', 'test');
    expect(() => acquireCaseLock(lockPath, 'Alpha', 'test')).toThrow(/already open for writing in this process/);
    lock.release();
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('takes over a lock whose process has died, and says so', () => {
    const lockPath = path.join(tempDir(), 'case.lock');
    const pid = deadPid();
    fs.writeFileSync(
      lockPath,
      JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T00:00:00Z', purpose: 'audit-ws import' }),
    );
    const lock = acquireCaseLock(lockPath, 'Alpha', 'test');
    expect(lock.tookOverFrom?.pid).toBe(pid);
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over an unreadable lock file (a crash while writing it)', () => {
    const lockPath = path.join(tempDir(), 'case.lock');
    fs.writeFileSync(lockPath, '{"pi');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath, old, old);
    const lock = acquireCaseLock(lockPath, 'Alpha', 'test');
    expect(lock.tookOverFrom?.purpose).toBe('unreadable lock file');
    lock.release();
  });

  it('waits for a lock file that is still being written instead of taking it for debris', async () => {
    const lockPath = path.join(tempDir(), 'case.lock');
    fs.writeFileSync(lockPath, '');
    // Another process fills it in a moment later, naming a live holder (our parent stands in for it).
    const owner = JSON.stringify({ pid: process.ppid, host: os.hostname(), since: 'now', purpose: 'audit-ws import' });
    const writer = spawn(process.execPath, [
      '-e',
      `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(lockPath)}, ${JSON.stringify(owner)}), 300)`,
    ]);
    const started = Date.now();
    let err: unknown;
    try {
      acquireCaseLock(lockPath, 'Alpha', 'test');
    } catch (e) {
      err = e;
    }
    await new Promise((r) => writer.on('exit', r));
    expect((err as AuditWsError).message).toContain(`in use by process ${process.ppid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fs.readFileSync(lockPath, 'utf8')).toBe(owner);
  });
});

describe('case lock, many processes racing for a stale lock', () => {
  it('never has two holders at once', async () => {
    const dir = tempDir();
    const racers = 6;
    const rounds = 40;
    const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'helpers/lock-racer.ts');
    const runTs = path.join(path.dirname(new URL(import.meta.url).pathname), '../../bin/run-ts.mjs');
    let exited = 0;
    const processes: ChildProcess[] = [];
    const children = Array.from({ length: racers }, () => {
      const child = spawn(process.execPath, [runTs, script, dir, String(rounds)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      processes.push(child);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<{ status: number | null; out: string }>((resolve) =>
        child.on('exit', (status) => {
          exited++;
          resolve({ status, out });
        }),
      );
    });
    onTestFinished(() => {
      for (const p of processes) if (p.exitCode === null) p.kill();
    });
    const dead = deadPid();
    let stoppedEarly = false;
    for (let round = 0; round < rounds; round++) {
      fs.rmSync(path.join(dir, 'case.lock'), { force: true });
      fs.writeFileSync(
        path.join(dir, 'case.lock'),
        JSON.stringify({ pid: dead, host: os.hostname(), since: `round ${round}`, purpose: 'audit-ws import' }),
      );
      fs.writeFileSync(path.join(dir, `start-${round}`), '');
      const done = (): number => fs.readdirSync(dir).filter((f) => f.startsWith(`done-${round}-`)).length;
      // A racer that stopped early (two holders, or an error) ends the rounds: its output says why.
      // (After the last round racers exit as they finish, so there only their results count.)
      if (round === rounds - 1) break;
      while (done() < racers && exited === 0) await new Promise((r) => setTimeout(r, 5));
      if (done() < racers) {
        stoppedEarly = true;
        break;
      }
    }
    // The others wait for a round that will not start.
    if (stoppedEarly) for (const p of processes) p.kill();
    const results = await Promise.all(children);
    expect(results.filter((r) => r.status !== 0).map((r) => r.out)).toEqual([]);
    const held = results.reduce((n, r) => n + Number(/held (\d+)/.exec(r.out)?.[1] ?? 0), 0);
    // Each round at least one racer takes the stale lock over.
    expect(held).toBeGreaterThanOrEqual(rounds);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('case.lock.'))).toEqual([]);
  }, 120_000);
});
