// Real cases for the query tests: archives written to temp folders, imported by the real importer into
// real DuckDB / SQLite files, with or without the lookup tables.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import type { DemoOptions, DemoSummary } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { queryContext } from '../../src/query/context.ts';
import type { QueryContext } from '../../src/query/context.ts';
import { buildLookups } from '../../src/query/lookups.ts';

export function tempDir(prefix = 'audit-ws-query-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestCase {
  root: string;
  workspace: Workspace;
  name: string;
  handle: CaseHandle;
  ctx: QueryContext;
  /** Re-reads which lookups are fresh and the verification state (after buildLookups or a verification run). */
  refresh(): Promise<QueryContext>;
  close(): Promise<void>;
}

/** Imports `archives` (paths) into a new case of a new temp workspace, open for writing. */
export async function caseOf(
  archives: string[],
  options: { lookups?: boolean; root?: string; name?: string } = {},
): Promise<TestCase> {
  const root = options.root ?? tempDir();
  const workspace = new Workspace(path.join(root, 'workspace'));
  const name = options.name ?? 'query test';
  const handle = await workspace.create(name, { actor: 'query-tests' });
  const result = await importArchives(handle, archives);
  if (result.status !== 'done') throw new Error(`import failed: ${result.error}`);
  if (options.lookups !== false) await buildLookups(handle.duck);
  const tc: TestCase = {
    root,
    workspace,
    name,
    handle,
    ctx: await queryContext(handle),
    async refresh() {
      tc.ctx = await queryContext(handle);
      return tc.ctx;
    },
    async close() {
      await handle.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return tc;
}

/** Writes JSONL files (records as objects) into a folder archive and imports it. */
export async function caseOfRecords(
  files: Record<string, object[]>,
  options: { lookups?: boolean } = {},
): Promise<TestCase> {
  const root = tempDir();
  const archive = path.join(root, 'archive');
  for (const [name, records] of Object.entries(files)) {
    const file = path.join(archive, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return caseOf([archive], { ...options, root });
}

/** Generates a demo archive (seeded, deterministic) and imports it. */
export async function demoCase(
  demo: Omit<DemoOptions, 'out'> = {},
  options: { lookups?: boolean } = {},
): Promise<TestCase & { summary: DemoSummary; archive: string }> {
  const root = tempDir();
  const archive = path.join(root, 'demo-archive');
  const summary = await generateDemoArchive({ ...demo, out: archive });
  const tc = await caseOf([archive], { ...options, root, name: 'demo' });
  return Object.assign(tc, { summary, archive });
}

/** Whether the lookup tables keep this JSON member's values (attributes.ts). */
export async function positionalAvailable(tc: TestCase, root: string, member: string): Promise<boolean> {
  const { cachedAttribute } = await import('../../src/query/attributes.ts');
  return (await cachedAttribute(tc.ctx.duck, tc.ctx.lookups, root, member)) !== undefined;
}
