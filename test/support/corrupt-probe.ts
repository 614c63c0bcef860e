/**
 * Opens damaged copies of a case, one after another, in one process, and prints one JSON line per attempt:
 * `{"variant":..., "start":true}` before and `{"variant":..., "ops":{...}}` after, so that a crash (a native
 * abort in DuckDB or SQLite) shows up as a process that died with a variant started and not finished.
 * Run by test/integration/faults-corrupt.test.ts: node bin/run-ts.mjs test/support/corrupt-probe.ts JSON
 * where JSON is [{variant, workspace, caseName}].
 */
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { AuditWsError } from '../../src/errors.ts';

interface Job {
  variant: string;
  workspace: string;
  caseName: string;
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string; ours: boolean };

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return {
      ok: false,
      code: err instanceof AuditWsError ? err.code : String((err as { code?: unknown }).code ?? 'none'),
      message: err instanceof Error ? err.message : String(err),
      ours: err instanceof AuditWsError,
    };
  }
}

/** What a case holds, read through the handle: the evidence (counts and a digest of every row) and the record. */
async function contents(handle: CaseHandle): Promise<unknown> {
  const evidence: Record<string, string> = {};
  for (const t of ['decisions', 'lifecycle_events', 'reviews', 'outcomes']) {
    const r = await handle.duck.runAndReadAll(
      `SELECT count(*)::VARCHAR || ' ' || coalesce(sum(hash(t)), 0)::VARCHAR FROM ${t} t`,
    );
    evidence[t] = String(r.getRowsJS()[0][0]);
  }
  const custody = readCustody(handle.sqlite);
  return {
    evidence,
    info: handle.info().name,
    imports: handle.sqlite.prepare('SELECT id, status, counts FROM imports ORDER BY id').all(),
    runs: handle.sqlite.prepare('SELECT id, summary FROM verification_runs ORDER BY id').all(),
    custody: { entries: custody.length, problems: verifyCustody(custody) },
  };
}

const jobs = JSON.parse(process.argv[2] ?? '[]') as Job[];
for (const job of jobs) {
  process.stdout.write(`${JSON.stringify({ variant: job.variant, start: true })}\n`);
  const ws = new Workspace(job.workspace);
  const ops: Record<string, Outcome> = {};
  ops.list = await attempt(async () => ws.list().map((c) => c.name));
  for (const mode of ['read', 'write'] as const) {
    ops[mode] = await attempt(async () => {
      const handle = await ws.open(job.caseName, { mode, actor: 'corrupt-probe' });
      try {
        return await contents(handle);
      } finally {
        await handle.close();
      }
    });
  }
  process.stdout.write(`${JSON.stringify({ variant: job.variant, ops })}\n`);
}
