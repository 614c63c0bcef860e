import { describe, expect, it } from 'vitest';
import { JobRegistry } from '../../src/contract/jobs.ts';
import { AuditWsError } from '../../src/errors.ts';

describe('JobRegistry', () => {
  it('reports progress with growing versions and ends with the plain-JSON result', async () => {
    const jobs = new JobRegistry();
    let step!: () => void;
    const gate = new Promise<void>((resolve) => (step = resolve));
    const started = jobs.start({ kind: 'import', title: 't', case: 'c' }, async (ctx) => {
      ctx.progress({ phase: 'hashing', fraction: 0.5 });
      await gate;
      return { at: new Date('2026-03-01T00:00:00Z'), big: 2n ** 60n };
    });
    expect(started.state).toBe('running');
    const next = await jobs.wait(started.id, started.version, 1000);
    expect(next.version).toBeGreaterThan(started.version);
    expect(next.progress).toEqual({ phase: 'hashing', fraction: 0.5 });
    step();
    const end = await jobs.settled(started.id);
    expect(end.state).toBe('done');
    expect(end.result).toEqual({ at: '2026-03-01T00:00:00.000Z', big: String(2n ** 60n) });
    expect(end.finishedAt).toBeDefined();
  });

  it('answers a long poll at once when the job already moved on, and after the wait when it did not', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start({ kind: 'verify', title: 't' }, () => new Promise(() => undefined));
    const t0 = Date.now();
    expect((await jobs.wait(job.id, 0, 5000)).version).toBe(job.version);
    expect(Date.now() - t0).toBeLessThan(100);
    const t1 = Date.now();
    const same = await jobs.wait(job.id, job.version, 150);
    expect(same.version).toBe(job.version);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(140);
  });

  it('cancels through the signal and ends as cancelled', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start({ kind: 'import', title: 't' }, (ctx) => {
      const stopped = new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new AuditWsError('CANCELLED', 'import cancelled'))),
      );
      ctx.progress({ phase: 'loading' });
      return stopped;
    });
    // Cancel mid-run, once the work listens (a cancel before the start is refused by the registry itself).
    await jobs.wait(job.id, job.version, 1000);
    expect(jobs.cancel(job.id).progress?.phase).toBe('cancelling');
    const end = await jobs.settled(job.id);
    expect(end.state).toBe('cancelled');
    expect(end.error?.code).toBe('CANCELLED');
  });

  it('keeps a failure as the one error shape, with its code and details', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start({ kind: 'report', title: 't' }, async () => {
      throw new AuditWsError('NOT_FOUND', '/x: no such archive', { file: '/x' });
    });
    const end = await jobs.settled(job.id);
    expect(end).toMatchObject({
      state: 'failed',
      error: { code: 'NOT_FOUND', message: '/x: no such archive', details: { file: '/x' } },
    });
  });

  it('never starts a job cancelled before it began', async () => {
    const jobs = new JobRegistry();
    let ran = false;
    const job = jobs.start({ kind: 'verify', title: 't' }, async () => {
      ran = true;
    });
    jobs.cancel(job.id);
    expect((await jobs.settled(job.id)).state).toBe('cancelled');
    expect(ran).toBe(false);
  });

  it('refuses an unknown job id with a sentence', () => {
    const jobs = new JobRegistry();
    expect(() => jobs.get('nope')).toThrow(/no job "nope"/);
  });

  it('forgets old finished jobs but never running ones', async () => {
    const jobs = new JobRegistry();
    const running = jobs.start({ kind: 'verify', title: 'still going' }, () => new Promise(() => undefined));
    for (let i = 0; i < 60; i++) await jobs.settled(jobs.start({ kind: 'report', title: `r${i}` }, async () => i).id);
    jobs.start({ kind: 'report', title: 'last' }, async () => 0);
    expect(jobs.get(running.id).state).toBe('running');
    expect(jobs.list().length).toBeLessThanOrEqual(52);
  });
});
