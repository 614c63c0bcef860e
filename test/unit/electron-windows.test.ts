// One window per case, tested without Electron: the registry and the per-window scope check (main/window-registry.ts),
// what closing a case's window does to a real case (main/case-host.ts), and the UI's side of it (the route slice
// asking the shell before it shows a case), wired to the same registry.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseOfFolder, closeWindowQuestion, releaseCase } from '../../main/case-host.ts';
import { parseOpenCaseRequest } from '../../main/policy.ts';
import { CaseWindowRegistry, checkCaseScope, type ScopeLookups } from '../../main/window-registry.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import type { JobSnapshot } from '../../src/contract/jobs.ts';
import { closeSessions, sessionFor } from '../../src/contract/session.ts';
import type { CaseWindowAnswer, DesktopBridge } from '../../src/contract/types.ts';
import { AuditWsError } from '../../src/errors.ts';

const win = (id: number) => ({ id });

describe('CaseWindowRegistry', () => {
  it('binds the first, unbound window to the first case it opens', () => {
    const r = new CaseWindowRegistry<{ id: number }>();
    r.add(win(1));
    expect(r.caseOf(1)).toBeUndefined();
    expect(r.decide(1, 'alpha')).toEqual({ action: 'here' });
    expect(r.caseOf(1)).toBe('alpha');
    expect(r.windowOf('alpha')).toEqual(win(1));
    // Same case again from its window: still here.
    expect(r.decide(1, 'alpha')).toEqual({ action: 'here' });
  });

  it('opens another case in a new window, and focuses it the next time', () => {
    const r = new CaseWindowRegistry<{ id: number }>();
    r.add(win(1), 'alpha');
    expect(r.decide(1, 'beta')).toEqual({ action: 'create' });
    r.add(win(2), 'beta');
    expect(r.decide(1, 'beta')).toEqual({ action: 'focus', window: win(2) });
    expect(r.decide(undefined, 'alpha')).toEqual({ action: 'focus', window: win(1) });
    expect(r.decide(undefined, 'gamma')).toEqual({ action: 'create' });
    expect(r.caseOf(1)).toBe('alpha');
  });

  it('releases the case when its window closes, so the next open creates a window again', () => {
    const r = new CaseWindowRegistry<{ id: number }>();
    r.add(win(1), 'alpha');
    r.add(win(2), 'beta');
    expect(r.release(2)).toBe('beta');
    expect(r.windowOf('beta')).toBeUndefined();
    expect(r.release(2)).toBeUndefined();
    expect(r.decide(1, 'beta')).toEqual({ action: 'create' });
    expect(r.size).toBe(1);
  });

  it('keeps one window per case and one case per window', () => {
    const r = new CaseWindowRegistry<{ id: number }>();
    r.add(win(1), 'alpha');
    r.add(win(2));
    expect(() => r.bind(2, 'alpha')).toThrow(/already has window 1/);
    expect(() => r.bind(1, 'beta')).toThrow(/already shows case "alpha"/);
    expect(() => r.add(win(1))).toThrow(/registered already/);
    expect(r.unbound()).toEqual(win(2));
  });

  it('unbinds a window whose case was deleted from it: it shows the case list again', () => {
    const r = new CaseWindowRegistry<{ id: number }>();
    r.add(win(1), 'alpha');
    r.unbind(1);
    expect(r.caseOf(1)).toBeUndefined();
    expect(r.windowOf('alpha')).toBeUndefined();
    expect(r.decide(1, 'beta')).toEqual({ action: 'here' });
  });
});

describe('checkCaseScope: what a window may ask', () => {
  const lookups: ScopeLookups = {
    slugOf: (name) => ({ alpha: 'alpha', Alpha: 'alpha', beta: 'beta' })[name],
    caseOfJob: (id) => ({ 'job-a': 'alpha', 'job-b': 'beta' })[id],
    windowOfCase: (slug) => ({ alpha: 1, beta: 2 })[slug],
  };
  const refusal = (fn: () => void): AuditWsError | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return err as AuditWsError;
    }
  };

  it('lets a case window ask about its own case, by slug or name', () => {
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'query.search', { case: 'alpha' }, lookups))).toBe(
      undefined,
    );
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'cases.get', { case: 'Alpha' }, lookups))).toBe(
      undefined,
    );
  });

  it("refuses another case's evidence, saying each case has its own window", () => {
    const err = refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'records.get', { case: 'beta' }, lookups));
    expect(err?.code).toBe('BAD_USAGE');
    expect(err?.message).toContain('this window shows case "alpha", not "beta"');
  });

  it('makes the case list window open a case before asking about it', () => {
    const err = refusal(() => checkCaseScope({ id: 3, slug: undefined }, 'cases.get', { case: 'beta' }, lookups));
    expect(err?.message).toContain('open case "beta"');
  });

  it('lets every window use the requests that name no case', () => {
    for (const method of ['app.info', 'cases.list', 'cases.create', 'import.preview', 'archive.inspect', 'jobs.list'])
      expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, method, {}, lookups))).toBeUndefined();
  });

  it("follows any task but cancels only its own case's", () => {
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'jobs.get', { id: 'job-b' }, lookups))).toBe(
      undefined,
    );
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'jobs.cancel', { id: 'job-a' }, lookups))).toBe(
      undefined,
    );
    const err = refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'jobs.cancel', { id: 'job-b' }, lookups));
    expect(err?.message).toContain('cancel it from that case');
  });

  it('refuses to delete a case another window shows; its own window may', () => {
    const err = refusal(() => checkCaseScope({ id: 3, slug: undefined }, 'cases.delete', { case: 'beta' }, lookups));
    expect(err?.code).toBe('CASE_LOCKED');
    expect(err?.message).toContain('close that window first');
    expect(refusal(() => checkCaseScope({ id: 2, slug: 'beta' }, 'cases.delete', { case: 'beta' }, lookups))).toBe(
      undefined,
    );
  });

  it('leaves unknown cases and missing members to the dispatcher, which names them', () => {
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'cases.get', { case: 'nope' }, lookups))).toBe(
      undefined,
    );
    expect(refusal(() => checkCaseScope({ id: 1, slug: 'alpha' }, 'cases.get', {}, lookups))).toBeUndefined();
  });
});

describe('parseOpenCaseRequest', () => {
  it('takes a case route and names its case', () => {
    expect(parseOpenCaseRequest({ hash: '#/case/demo-case/explorer?modelId=m%201' })).toEqual({
      slug: 'demo-case',
      hash: '#/case/demo-case/explorer?modelId=m%201',
    });
    expect(parseOpenCaseRequest({ hash: '#/case/caf%C3%A9' }).slug).toBe('café');
  });

  it.each([
    null,
    '#/case/x',
    {},
    { hash: '#/cases' },
    { hash: 'https://evil.example/#/case/x' },
    { hash: '#/case/x/overview\nSet-Cookie: a' },
    { hash: '#/case/x y' },
    { hash: '#/case/%E0%A4%A' },
    { hash: '#/case/x', extra: 1 },
  ])('refuses %j', (payload) => {
    expect(() => parseOpenCaseRequest(payload)).toThrowError(AuditWsError);
  });
});

describe('closeWindowQuestion', () => {
  const job = (title: string, phase?: string) =>
    ({
      id: title,
      kind: 'import',
      title,
      state: 'running',
      startedAt: '',
      version: 1,
      progress: phase ? { phase } : undefined,
    }) as JobSnapshot;
  it('asks only when tasks of the case run, naming them', () => {
    expect(closeWindowQuestion('Alpha', [])).toBeUndefined();
    const q = closeWindowQuestion('Alpha', [job('Import into Alpha', 'loading decisions')]);
    expect(q).toContain('This task is still running in case “Alpha”');
    expect(q).toContain('Import into Alpha (loading decisions)');
    expect(q).toContain('cancels it');
    expect(closeWindowQuestion('Alpha', [job('a'), job('b')])).toContain('These 2 tasks are');
  });
});

describe('the shell against a real workspace', () => {
  let tmp: string;
  let workspace: string;
  const context = () => ({ mode: 'electron' as const, workspace });

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-windows-'));
    workspace = path.join(tmp, 'ws');
    const dispatcher = createDispatcher(context());
    for (const name of ['Alpha', 'Beta'])
      expect(await dispatcher.handle('cases.create', { name })).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await closeSessions();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('File › Open case… takes a case folder (or a folder inside it) and refuses anything else', () => {
    const ws = sessionFor(context()).cases.workspace;
    expect(caseOfFolder(ws, path.join(workspace, 'cases', 'alpha'))).toBe('alpha');
    mkdirSync(path.join(workspace, 'cases', 'beta', 'exports'), { recursive: true });
    expect(caseOfFolder(ws, path.join(workspace, 'cases', 'beta', 'exports'))).toBe('beta');
    for (const bad of [workspace, path.join(workspace, 'cases'), tmp, path.join(workspace, 'cases', 'gamma')]) {
      expect(() => caseOfFolder(ws, bad)).toThrowError(/is not a case of this workspace/);
    }
  });

  it("closing a case's window cancels its tasks and frees the case lock", async () => {
    const session = sessionFor(context());
    const dispatcher = createDispatcher(context());
    expect(await dispatcher.handle('cases.get', { case: 'alpha' })).toMatchObject({ ok: true });
    const lock = path.join(workspace, 'cases', 'alpha', 'case.lock');
    expect(existsSync(lock)).toBe(true);
    // A task of the case that runs until it is cancelled, and one of another case that must keep running.
    const waitForAbort = (signal: AbortSignal) =>
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AuditWsError('CANCELLED', 'cancelled'))),
      );
    const mine = session.jobs.start({ kind: 'report', title: 'Report of Alpha', case: 'alpha' }, (job) =>
      waitForAbort(job.signal),
    );
    const theirs = session.jobs.start({ kind: 'report', title: 'Report of Beta', case: 'beta' }, (job) =>
      waitForAbort(job.signal),
    );
    await releaseCase(session, 'alpha');
    expect(session.jobs.get(mine.id).state).toBe('cancelled');
    expect(session.jobs.get(theirs.id).state).toBe('running');
    expect(existsSync(lock)).toBe(false);
    expect(session.cases.isOpen('alpha')).toBe(false);
    session.jobs.cancel(theirs.id);
    await session.jobs.settled(theirs.id);
  });
});

describe('the UI asks the shell before showing a case', () => {
  type AppStore = ReturnType<(typeof import('../../renderer/store/index.ts'))['createAppStore']>;
  const registry = new CaseWindowRegistry<{ id: number }>();
  const opened: string[] = [];
  let store: AppStore;

  beforeAll(async () => {
    registry.add(win(1));
    // This window's bridge: the real registry decides, as main/windows.ts does; new windows are only recorded.
    const bridge: DesktopBridge = {
      invoke: async () => ({ ok: false, code: 'INTERNAL', message: 'not used here', details: {} }),
      onAppEvent: () => () => undefined,
      openCase: async (hash): Promise<CaseWindowAnswer> => {
        const { slug } = parseOpenCaseRequest({ hash });
        const decision = registry.decide(1, slug);
        if (decision.action === 'create') {
          registry.add(win(100 + opened.length), slug);
          opened.push(hash);
        }
        return { ok: true, where: decision.action === 'here' ? 'here' : 'elsewhere' };
      },
    };
    const location = { hash: '' };
    const history = {
      pushState: (_s: unknown, _t: string, hash: string) => void (location.hash = hash),
      replaceState: (_s: unknown, _t: string, hash: string) => void (location.hash = hash),
    };
    (globalThis as { window?: unknown }).window = { auditWs: bridge, location, history };
    const { createAppStore } = await import('../../renderer/store/index.ts');
    store = createAppStore();
  });

  afterAll(() => {
    delete (globalThis as { window?: unknown }).window;
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it('shows the first case here, and another case in its own window while this one stays', async () => {
    const w = (globalThis as unknown as { window: { location: { hash: string } } }).window;
    store.getState().navigate({ page: 'case', slug: 'alpha', screen: 'overview', query: {} });
    await settle();
    expect(store.getState().route).toMatchObject({ page: 'case', slug: 'alpha' });
    expect(w.location.hash).toBe('#/case/alpha/overview');
    expect(registry.caseOf(1)).toBe('alpha');

    store.getState().navigate({ page: 'case', slug: 'beta', screen: 'explorer', query: { modelId: 'm' } });
    await settle();
    expect(opened).toEqual(['#/case/beta/explorer?modelId=m']);
    expect(store.getState().route).toMatchObject({ slug: 'alpha' });
    expect(w.location.hash).toBe('#/case/alpha/overview');

    // A link (hash change) to the other case: the address goes back, the case's window is focused, not duplicated.
    w.location.hash = '#/case/beta/overview';
    store.getState().syncRoute();
    await settle();
    expect(w.location.hash).toBe('#/case/alpha/overview');
    expect(store.getState().route).toMatchObject({ slug: 'alpha' });
    expect(opened).toHaveLength(1);

    // Its own case's screens need no question.
    store.getState().navigate({ page: 'case', slug: 'alpha', screen: 'explorer', query: {} });
    expect(store.getState().route).toMatchObject({ slug: 'alpha', screen: 'explorer' });
  });
});
