// The explorer's requests against the real core: the store asks in steps (rows, then the count when needed, then
// the facets), never more than the question needs, drops the steps of a question that is no longer current, and
// the two-step page of chosen columns (`columns`) returns exactly the rows, in the same order, that the one-statement
// page returns. Real demo case through a window.auditWs bridge to a real dispatcher.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import type { DesktopBridge, JobSnapshot, SearchResult } from '../../src/contract/types.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';

type AppStore = ReturnType<(typeof import('../../renderer/store/index.ts'))['createAppStore']>;
interface Sent {
  method: string;
  params: Record<string, unknown>;
}

let tmp: string;
let dispatcher: Dispatcher;
let store: AppStore;
let sent: Sent[] = [];
/** Requests held back until released, to make a question stale while its first step is answered. */
let hold: Promise<void> | undefined;

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function call<T>(method: string, params: unknown): Promise<T> {
  const r = await dispatcher.handle(method, params);
  if (!r.ok) throw new Error(`${method}: ${r.message}`);
  return r.result as T;
}

/** What a search request was for: rows, a count or facets. */
function stepOf(p: Record<string, unknown>): string {
  if (p.items === false) return Array.isArray(p.facets) && p.facets.length === 0 ? 'count' : 'facets';
  return `page@${String(p.offset)}`;
}
const searches = () => sent.filter((s) => s.method === 'query.search').map((s) => stepOf(s.params));
const explorerIdle = () => {
  const e = store.getState().explorer;
  return e.status !== 'loading' && e.facetStatus !== 'loading';
};

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-explorer-'));
  const workspace = path.join(tmp, 'ws');
  await ensureDemoArchive(workspace, { decisions: 600, days: 3, seed: 17 });
  dispatcher = createDispatcher({ mode: 'browser', workspace });
  const demo = await call<{ job?: JobSnapshot }>('demo.ensureCase', {});
  let job = demo.job;
  while (job && job.state === 'running')
    job = await call<JobSnapshot>('jobs.get', { id: job.id, afterVersion: job.version, waitMs: 5000 });
  expect(job?.state).toBe('done');
  const bridge: DesktopBridge = {
    invoke: async (method, params) => {
      const copy = JSON.parse(JSON.stringify(params ?? {})) as Record<string, unknown>;
      sent.push({ method, params: copy });
      if (hold) await hold;
      return dispatcher.handle(method, copy);
    },
    onAppEvent: () => () => undefined,
  };
  (globalThis as { window?: unknown }).window = { auditWs: bridge };
  const { createAppStore } = await import('../../renderer/store/index.ts');
  store = createAppStore();
});

afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await closeSessions();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the explorer asks in steps', () => {
  it('opens with the rows first, then the facets (which count the whole case)', async () => {
    sent = [];
    store.getState().openExplorer('demo-case');
    await until('the explorer', explorerIdle);
    expect(searches()).toEqual(['page@0', 'facets']);
    const page = sent[0].params;
    expect(page).toMatchObject({ case: 'demo-case', count: false, facets: [], limit: 100, offset: 0 });
    expect(page.columns).toEqual([
      'at',
      'confidence',
      'decisionId',
      'humanOverride',
      'humanReviewed',
      'modelId',
      'modelVersion',
      'prediction',
      'riskTier',
    ]);
    expect(store.getState().explorer.total).toBe(600);
  });

  it('counts a filter apart from its rows when the first page is full', async () => {
    const facet = store.getState().explorer.facets.modelId?.values[0];
    expect(facet && facet.count >= 100).toBe(true);
    sent = [];
    store.getState().toggleFacetValue('modelId', String(facet?.value));
    await until('the filtered explorer', explorerIdle);
    expect(searches()).toEqual(['page@0', 'count', 'facets']);
    expect(store.getState().explorer.total).toBe(facet?.count);
    const rows = await store.getState().fetchExplorerPage(0, 100);
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => r.modelId === facet?.value)).toBe(true);
  });

  it('needs no count when the first page holds every match', async () => {
    const small = store.getState().explorer.facets.modelVersion?.values.find((v) => v.count < 100 && v.count > 0);
    expect(small).toBeDefined();
    sent = [];
    store.getState().clearFilters();
    store.getState().toggleFacetValue('modelVersion', String(small?.value));
    await until('the small filter', () => explorerIdle() && store.getState().explorer.total === small?.count);
    // The cleared question's steps stopped after its rows: only the current question was counted.
    expect(searches().filter((s) => s !== 'page@0')).toEqual(['facets']);
  });

  it('asks only for rows on a new sort, and on a column that needs new members', async () => {
    const { total, facets } = store.getState().explorer;
    sent = [];
    store.getState().changeExplorer({ sort: '-confidence' });
    await store.getState().fetchExplorerPage(0, 100);
    expect(searches()).toEqual(['page@0']);
    expect(store.getState().explorer.total).toBe(total);
    expect(store.getState().explorer.facets).toBe(facets);

    sent = [];
    const columns = store.getState().explorer.definition.columns;
    store.getState().changeExplorer({ columns: columns.filter((c) => c !== 'riskTier') });
    expect(sent).toEqual([]);
    const key = store.getState().explorer.rowsKey;
    store.getState().changeExplorer({ columns: [...columns, 'latencyMs'] });
    expect(store.getState().explorer.rowsKey).not.toBe(key);
    const rows = await store.getState().fetchExplorerPage(0, 100);
    expect(searches()).toEqual(['page@0']);
    expect(rows[0]).toHaveProperty('latencyMs');
  });

  it('drops the later steps of a question changed while its rows were on the way', async () => {
    store.getState().clearFilters();
    await until('cleared', explorerIdle);
    sent = [];
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    store.getState().setFlag('humanReviewed', true);
    store.getState().setFlag('humanReviewed', false);
    hold = undefined;
    release();
    await until('the last question', explorerIdle);
    // Both questions' rows were asked; only the last one was counted and faceted.
    expect(searches().filter((s) => s === 'page@0')).toHaveLength(2);
    expect(searches().filter((s) => s !== 'page@0')).toEqual(['count', 'facets']);
    expect(sent.filter((s) => s.params.items === false).every((s) => s.params.humanReviewed === false)).toBe(true);
  });
});

describe('a page of chosen columns', () => {
  it('has the same rows in the same order as the one-statement page, with only the members asked for', async () => {
    for (const [sort, offset, filter] of [
      ['time', 0, {}],
      ['-confidence', 37, { humanReviewed: true }],
      ['latency', 500, {}],
      ['-time', 120, { riskTier: ['high'] }],
    ] as const) {
      const base = { case: 'demo-case', sort, offset, limit: 100, facets: [], ...filter };
      const whole = await call<SearchResult>('query.search', base);
      const chosen = await call<SearchResult>('query.search', {
        ...base,
        columns: ['at', 'confidence'],
        count: false,
      });
      expect(chosen.items.map((i) => i.decisionId)).toEqual(whole.items.map((i) => i.decisionId));
      expect(chosen.items.map((i) => [i.at, i.confidence, i.ref, i.integrity])).toEqual(
        whole.items.map((i) => [i.at, i.confidence, i.ref, i.integrity]),
      );
      expect(Object.keys(chosen.items[0] ?? {}).sort()).toEqual(['at', 'confidence', 'decisionId', 'integrity', 'ref']);
      expect(chosen.total).toBe(whole.items.length < 100 && offset === 0 ? whole.total : -1);
    }
  });

  it('keeps the order through ties and missing values, at every depth', async () => {
    // 400 decisions in two files: three confidence values and no confidence (heavy ties, NULLs sorted last),
    // latencies with ties and gaps; file and line then break the ties.
    const dir = path.join(tmp, 'ties');
    mkdirSync(dir);
    for (const file of ['a.jsonl', 'b.jsonl']) {
      const lines = Array.from({ length: 200 }, (_, i) => {
        const n = file === 'a.jsonl' ? i : 200 + i;
        const d: Record<string, unknown> = {
          decisionId: `t-${String((n * 7919) % 400).padStart(4, '0')}`,
          timestamp: `2026-03-0${1 + (n % 3)}T00:00:00Z`,
          modelId: 'm',
          modelVersion: '1',
          prediction: 'approve',
        };
        if (n % 4 !== 0) d.confidence = [0.5, 0.7, 0.9][n % 3];
        if (n % 5 !== 0) d.latencyMs = (n * 13) % 17;
        return JSON.stringify(d);
      });
      writeFileSync(path.join(dir, file), `${lines.join('\n')}\n`);
    }
    await call('cases.create', { name: 'Ties' });
    let job = await call<JobSnapshot>('import.start', { case: 'ties', paths: [dir] });
    while (job.state === 'running')
      job = await call<JobSnapshot>('jobs.get', { id: job.id, afterVersion: job.version, waitMs: 5000 });
    expect(job.state).toBe('done');
    for (const sort of ['confidence', '-confidence', 'latency', '-latency'] as const) {
      for (const offset of [0, 37, 99, 100, 150, 250, 299, 301, 350]) {
        const base = { case: 'ties', sort, offset, limit: 50, facets: [] };
        const whole = await call<SearchResult>('query.search', base);
        const chosen = await call<SearchResult>('query.search', { ...base, columns: ['confidence'], count: false });
        expect(
          chosen.items.map((i) => i.ref),
          `${sort} at ${offset}`,
        ).toEqual(whole.items.map((i) => i.ref));
      }
    }
  });

  it('counts without rows, and refuses a column that is not an item member', async () => {
    const counted = await call<SearchResult>('query.search', { case: 'demo-case', items: false, facets: [] });
    expect(counted).toMatchObject({ total: 600, items: [] });
    const refused = await dispatcher.handle('query.search', { case: 'demo-case', columns: ['raw'] });
    expect(refused).toMatchObject({ ok: false, code: 'BAD_USAGE' });
  });
});
