// The UI's zustand store, slice by slice, against the real core: window.auditWs (what the Electron preload
// exposes) is a bridge to a real dispatcher over a temp workspace, so every request the store makes is answered
// by real DuckDB and SQLite. The archive's JSONL files are the independent truth for counts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import type { DesktopBridge } from '../../src/contract/types.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';

type AppStore = ReturnType<(typeof import('../../renderer/store/index.ts'))['createAppStore']>;

let tmp: string;
let demoPath: string;
let store: AppStore;
const requests: string[] = [];

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function decisions(): Record<string, unknown>[] {
  const dir = path.join(demoPath, 'decisions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-stores-'));
  const workspace = path.join(tmp, 'workspace');
  demoPath = (await ensureDemoArchive(workspace, { decisions: 150, days: 2, seed: 8 })).path;
  const dispatcher = createDispatcher({ mode: 'electron', workspace });
  const bridge: DesktopBridge = {
    invoke: (method, params) => {
      requests.push(method);
      // Through JSON, as IPC's structured clone or HTTP would carry it.
      return dispatcher.handle(method, JSON.parse(JSON.stringify(params ?? {})));
    },
    onAppEvent: () => () => undefined,
  };
  (globalThis as { window?: unknown }).window = { auditWs: bridge };
  const { createAppStore } = await import('../../renderer/store/index.ts');
  store = createAppStore();
});

afterAll(async () => {
  await closeSessions();
  delete (globalThis as { window?: unknown }).window;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('UI store against the real core', () => {
  it('starts: learns the mode, creates the demo case, follows its import to the end', async () => {
    await store.getState().start();
    expect(store.getState().info?.mode).toBe('electron');
    expect(store.getState().demoCase).toMatchObject({ case: 'demo-case', created: true });
    await until('the demo import to end', () =>
      Object.values(store.getState().jobs).some((j) => j.kind === 'import' && j.state === 'done'),
    );
    await until('the case list', () => store.getState().cases.list.length === 1);
    expect(requests).toContain('jobs.get');
  });

  it('explorer: counts, facet filters and pages match the archive', async () => {
    const all = decisions();
    store.getState().openExplorer('demo-case');
    await until('the explorer count', () => store.getState().explorer.status === 'ready');
    expect(store.getState().explorer.total).toBe(all.length);
    const model = 'fraud-detector';
    const facet = store.getState().explorer.facets.modelId?.values.find((v) => v.value === model);
    const expected = all.filter((d) => d.modelId === model).length;
    expect(facet?.count).toBe(expected);
    const key = store.getState().explorer.queryKey;
    store.getState().toggleFacetValue('modelId', model);
    expect(store.getState().explorer.queryKey).not.toBe(key);
    await until(
      'the filtered count',
      () => store.getState().explorer.status === 'ready' && store.getState().explorer.total === expected,
    );
    const page = await store.getState().fetchExplorerPage(0, 10);
    expect(page).toHaveLength(10);
    expect(page.every((r) => r.modelId === model)).toBe(true);
    const times = page.map((r) => r.at as string);
    expect(times).toEqual([...times].sort());
    // Columns change nothing about the rows: no new query.
    const before = store.getState().explorer.queryKey;
    store.getState().changeExplorer({ columns: ['decisionId'] });
    expect(store.getState().explorer.queryKey).toBe(before);
    store.getState().clearFilters();
    await until(
      'the cleared count',
      () => store.getState().explorer.status === 'ready' && store.getState().explorer.total === all.length,
    );
  });

  it('annotations: a star is added and taken away, and the index by record follows', async () => {
    const target = 'decision:d-00000002';
    await store.getState().loadAnnotations('demo-case');
    await store.getState().toggleStar('demo-case', target);
    expect(store.getState().annotations.byTarget[target]?.[0].starred).toBe(true);
    await store.getState().addAnnotation('demo-case', target, { text: 'look again', tags: ['x'] });
    expect(store.getState().annotations.byTarget[target]).toHaveLength(2);
    await store.getState().toggleStar('demo-case', target);
    // The star-only annotation is deleted; the comment stays.
    expect(store.getState().annotations.byTarget[target]?.map((a) => a.text)).toEqual(['look again']);
  });

  it('verification: a run started from the store ends and its dashboard loads', async () => {
    // The verification the first start runs on its own comes first; a second one is refused while it runs.
    await until('the automatic first run', () => {
      void store.getState().loadVerification('demo-case');
      return Boolean(store.getState().verification.view);
    });
    await store.getState().startVerification('demo-case', {
      retention: 'soc2',
      trustKeys: [],
      trustTsa: [],
      trustFingerprints: [],
      trustKeyFiles: [],
      trustTsaFiles: [],
    });
    await until('the soc2 run', () => store.getState().verification.view?.run.options.retention === 'soc2');
    expect(store.getState().verification.view?.run.verdict).toBe('intact');
    expect(store.getState().verification.error).toBeUndefined();
  });

  it('records: opening a record by its target shows it with its notes; a bad target says why', async () => {
    await store.getState().openRecord('demo-case', { target: 'decision:d-00000002' });
    const panel = store.getState().recordPanel;
    expect(panel.status).toBe('ready');
    expect(panel.matches[0].fields.decisionId).toBe('d-00000002');
    expect(panel.matches[0].annotations.map((a) => a.text)).toContain('look again');
    await store.getState().openRecord('demo-case', { target: 'nonsense' });
    expect(store.getState().recordPanel.error?.message).toContain('is not a record target');
    store.getState().closeRecord();
    expect(store.getState().recordPanel.open).toBe(false);
  });

  it('cases: a refused request keeps its words and gets a hint', async () => {
    expect(await store.getState().createCase('Demo case')).toBeUndefined();
    const error = store.getState().cases.error;
    expect(error?.message).toContain('already exists');
    expect(error?.hint).toBeTruthy();
  });
});
