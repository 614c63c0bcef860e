/**
 * The explorer as the investigator meets it, through the real contract: `npm run bench -- --only ui-explorer
 * --workspace DIR --case NAME` (e.g. the 10M demo case), or the query benchmark's case of --records decisions (made by
 * DuckDB directly, bench/query.ts).
 *
 * The browser-mode server (src/server, the same HTTP transport `audit-ws serve` runs) serves a workspace, and the
 * benchmark sends the explorer's own requests (renderer/features/explorer/requests.ts: the same functions the UI
 * calls) over HTTP with the run's token, in the order and the steps the UI sends them:
 *   first page: the rows on screen (visible columns, not counted) — what the targets are about (1 s on opening,
 *   500 ms after a filter or sort); total: the count when the page is full and filtered; facets: the panel's counts.
 * Each scenario is measured side by side with the request the explorer made before (one search returning a page
 * of every column, counted, and a second one with every facet), as `baseline`, so the ratio holds on a loaded
 * machine. A scenario's first run is reported (a new filter is always a first run; DuckDB's buffers are warm
 * after opening), and the median of three for the page.
 *
 * A case given with --workspace is copied first (into --tmp, default the system temp folder): the server opens
 * cases for writing (lock, migrations), and a benchmark never changes the case it measures. AUDIT_WS_BENCH_IN_PLACE=1
 * skips the copy, for a case that is a scratch copy already.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  countParams,
  facetParams,
  needsCount,
  pageParams,
  type ExplorerDefinition,
} from '../renderer/features/explorer/requests.ts';
import { DEFAULT_DEFINITION } from '../renderer/store/explorer-slice.ts';
import { createDispatcher } from '../src/contract/dispatcher.ts';
import { closeSessions } from '../src/contract/session.ts';
import type { SearchResult } from '../src/contract/types.ts';
import { TOKEN_HEADER, startServer, type RunningServer } from '../src/server/index.ts';
import { makeBenchCase } from './query.ts';
import type { BenchEntry, BenchOptions } from './types.ts';

const round = (n: number) => Math.round(n * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

class Client {
  constructor(private readonly server: RunningServer) {}
  private get token(): string {
    return new URL(this.server.url).searchParams.get('token') ?? '';
  }
  async call<T>(method: string, params: unknown): Promise<T> {
    const res = await fetch(`${this.server.origin}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: this.token },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as { ok: boolean; result?: T; message?: string };
    if (!body.ok) throw new Error(`${method}: ${body.message}`);
    return body.result as T;
  }
  async timed<T>(method: string, params: unknown): Promise<{ ms: number; result: T }> {
    const started = performance.now();
    const result = await this.call<T>(method, params);
    return { ms: performance.now() - started, result };
  }
}

interface Steps {
  firstPage: number;
  total: number;
  facets: number;
}

/** The benchmark's explorer key (the UI makes one per screen). */
const ASKER = 'explorer-bench';

/** The explorer's steps for a new question, timed from the moment it is asked. */
async function explorerSteps(client: Client, slug: string, d: ExplorerDefinition, facets = true): Promise<Steps> {
  const started = performance.now();
  const page = await client.call<SearchResult>('query.search', pageParams(slug, d, 0));
  const firstPage = performance.now() - started;
  let total = firstPage;
  if (needsCount(d, page.items.length)) {
    await client.call('query.search', countParams(slug, d, ASKER));
    total = performance.now() - started;
  }
  let facetsMs = total;
  if (facets) {
    await client.call('query.search', facetParams(slug, d, ASKER));
    facetsMs = performance.now() - started;
    if (!needsCount(d, page.items.length)) total = facetsMs;
  }
  return { firstPage, total, facets: facetsMs };
}

/** What the explorer asked before: a counted page of every column, then one search with every facet. */
async function formerSteps(client: Client, slug: string, d: ExplorerDefinition, facets = true): Promise<Steps> {
  const { columns: _, ...p } = pageParams(slug, d, 0);
  const started = performance.now();
  if (facets) await client.call('query.search', { ...p, count: undefined, facets: undefined, limit: 1, facetSize: 12 });
  const counted = performance.now() - started;
  await client.call('query.search', { ...p, count: undefined, facets: [] });
  const firstPage = performance.now() - started;
  return { firstPage, total: facets ? counted : firstPage, facets: facets ? counted : firstPage };
}

async function prepareWorkspace(
  records: number,
  log: (line: string) => void,
  options: BenchOptions,
  tmp: string,
): Promise<{ workspace: string; slug: string }> {
  if (options.workspace && options.case) {
    if (process.env.AUDIT_WS_BENCH_IN_PLACE === '1') {
      log(`measuring ${options.workspace} in place (AUDIT_WS_BENCH_IN_PLACE=1: it is a scratch copy)`);
      return { workspace: path.resolve(options.workspace), slug: options.case };
    }
    const workspace = path.join(tmp, 'workspace');
    mkdirSync(path.join(workspace, 'cases'), { recursive: true });
    const from = path.join(options.workspace, 'cases', options.case);
    const started = performance.now();
    // --reflink: instant where the file system shares blocks; a plain copy elsewhere. The lock file is left behind.
    execFileSync('cp', ['-r', '--reflink=auto', from, path.join(workspace, 'cases', options.case)]);
    rmSync(path.join(workspace, 'cases', options.case, 'case.lock'), { force: true });
    log(`copied ${from} in ${round((performance.now() - started) / 1000)} s`);
    return { workspace, slug: options.case };
  }
  // The query benchmark's case, made by DuckDB itself: ten million decisions in minutes rather than hours.
  const workspace = path.join(tmp, 'workspace');
  log(`making a case of ${records} decisions (bench/query.ts makeBenchCase)`);
  await makeBenchCase(path.join(workspace, 'cases', 'bench'), records, log);
  return { workspace, slug: 'bench' };
}

export async function benchUiExplorer(
  records: number,
  log: (line: string) => void,
  options: BenchOptions,
): Promise<BenchEntry[]> {
  const tmp = mkdtempSync(path.join(options.tmp ?? os.tmpdir(), 'audit-ws-bench-ui-'));
  const ui = path.join(tmp, 'ui');
  mkdirSync(ui);
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><div id="root"></div>');
  const entries: BenchEntry[] = [];
  let server: RunningServer | undefined;
  try {
    const { workspace, slug } = await prepareWorkspace(records, log, options, tmp);
    server = await startServer({ staticDir: ui, dispatcher: createDispatcher({ mode: 'browser', workspace }) });
    const client = new Client(server);

    // Opening the case (its overview) opens DuckDB; then the explorer opens on it.
    const opened = await client.timed('cases.get', { case: slug });
    entries.push({ name: 'ui-explorer.open-case', value: round(opened.ms), unit: 'ms' });
    log(`case opened in ${round(opened.ms)} ms`);

    const d0: ExplorerDefinition = DEFAULT_DEFINITION;
    const open = await explorerSteps(client, slug, d0);
    const facets = (await client.call<SearchResult>('query.search', facetParams(slug, d0))).facets;
    const first = await client.call<SearchResult>('query.search', pageParams(slug, d0, 0));
    const total = (await client.call<SearchResult>('query.search', countParams(slug, d0))).total;
    log(`${total} decisions`);
    const top = (name: keyof typeof facets) => String(facets[name]?.values[0]?.value ?? '');
    const all = [
      'star',
      'decisionId',
      'at',
      'modelId',
      'modelVersion',
      'prediction',
      'confidence',
      'latencyMs',
      'riskTier',
      'consequenceLevel',
      'environment',
      'decisionCategory',
      'humanReviewRequired',
      'humanReviewed',
      'humanOverride',
      'humanReviewerId',
      'affectedUserId',
      'traceId',
      'taskId',
      'source',
      'integrity',
    ];
    const idPrefix = String(first.items[0]?.decisionId ?? 'd-').slice(0, -3);
    // `facets`: whether the explorer asks for facets now; before, every change but the columns asked for them.
    const scenarios: { name: string; d: ExplorerDefinition; facets: boolean; formerFacets?: boolean }[] = [
      { name: 'filter-model', d: { ...d0, lists: { modelId: [top('modelId')] } }, facets: true },
      { name: 'filter-reviewed', d: { ...d0, flags: { humanReviewed: true } }, facets: true },
      {
        name: 'filter-two',
        d: { ...d0, lists: { riskTier: [top('riskTier')] }, flags: { humanOverride: true } },
        facets: true,
      },
      { name: 'filter-text', d: { ...d0, text: idPrefix }, facets: true },
      {
        name: 'filter-dates',
        d: { ...d0, from: String(first.items[0]?.at ?? '').slice(0, 10) + 'T12:00:00Z' },
        facets: true,
      },
      { name: 'sort-confidence', d: { ...d0, sort: '-confidence' }, facets: false, formerFacets: true },
      { name: 'sort-latency', d: { ...d0, sort: 'latency' }, facets: false, formerFacets: true },
      {
        name: 'filter-model-sort-confidence',
        d: { ...d0, sort: '-confidence', lists: { modelId: [top('modelId')] } },
        facets: true,
      },
      { name: 'wide-columns', d: { ...d0, columns: all }, facets: false },
    ];

    const add = (name: string, now: number, before?: number) => {
      const e: BenchEntry = { name: `ui-explorer.${name}`, value: round(now), unit: 'ms' };
      if (before !== undefined) {
        e.baseline = round(before);
        e.ratio = Math.round((now / before) * 100) / 100;
      }
      entries.push(e);
      log(
        `${name.padEnd(44)} ${String(round(now)).padStart(9)} ms${before !== undefined ? `   before ${round(before)} ms` : ''}`,
      );
    };

    const formerOpen = await formerSteps(client, slug, d0);
    add('open.first-page', open.firstPage, formerOpen.firstPage);
    add('open.facets', open.facets, formerOpen.facets);
    for (const s of scenarios) {
      const now = await explorerSteps(client, slug, s.d, s.facets);
      const before = await formerSteps(client, slug, s.d, s.formerFacets ?? s.facets);
      add(`${s.name}.first-page`, now.firstPage, before.firstPage);
      if (s.facets) {
        add(`${s.name}.total`, now.total, before.total);
        add(`${s.name}.facets`, now.facets, before.facets);
      }
      const warm: number[] = [];
      for (let i = 0; i < 3; i++) warm.push((await client.timed('query.search', pageParams(slug, s.d, 0))).ms);
      add(`${s.name}.first-page-warm-median`, median(warm));
    }
    // A quick change of mind: a second filter ticked while the first one's facets are being counted. Before, its
    // rows waited behind that count; now they are read beside it, and the stale count is stopped.
    {
      const a: ExplorerDefinition = { ...d0, flags: { humanReviewRequired: true } };
      const b: ExplorerDefinition = { ...d0, flags: { humanReviewRequired: true, humanOverride: false } };
      const stale = explorerSteps(client, slug, a).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const now = await explorerSteps(client, slug, b);
      await stale;
      const formerStale = formerSteps(client, slug, a);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const before = await formerSteps(client, slug, b);
      await formerStale;
      add('quick-change.first-page', now.firstPage, before.firstPage);
      add('quick-change.total', now.total, before.total);
    }
    // Scrolling far: a page in the middle, and the last one (End key).
    for (const [name, offset] of [
      ['page-middle', Math.floor(total / 2)],
      ['page-last', Math.max(0, total - 100)],
    ] as const) {
      const now = await client.timed('query.search', pageParams(slug, d0, offset));
      const { columns: _, ...p } = pageParams(slug, d0, offset);
      const before = await client.timed('query.search', { ...p, count: undefined, facets: [] });
      add(name, now.ms, before.ms);
    }
    entries.push({ name: 'ui-explorer.decisions', value: total, unit: 'decisions' });
    return entries;
  } finally {
    await closeSessions();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
