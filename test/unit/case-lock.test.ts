import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
    const lock = acquireCaseLock(lockPath, 'Alpha', 'test');
    expect(lock.tookOverFrom?.purpose).toBe('unreadable lock file');
    lock.release();
  });
});
