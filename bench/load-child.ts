/**
 * One stage of the load benchmark (bench/load.ts) in a process of its own, so that the peak RSS it
 * reports is that stage's alone:
 *   node bin/run-ts.mjs bench/load-child.ts STAGE '{"archive":..., "workspace":..., "out":...}'
 * Stages: generate, import, verify, search, timeline, fairness, anomalies, report. Each calls what the
 * CLI command of the same name calls, on the case `load` of the given workspace, and prints one line
 * `LOAD-STAGE {json}`: seconds (the work itself, not process start-up), figures, peakRssMb, loadAvg.
 */
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaseHandle } from '../src/case/store.ts';
import { Workspace } from '../src/case/workspace.ts';
import { generateDemoArchive } from '../src/demo/generator.ts';
import { importArchives } from '../src/import/importer.ts';
import { ANOMALY_FILTERS, runAnomaly } from '../src/query/anomalies/index.ts';
import { ATTRIBUTE_MEMBERS } from '../src/query/attributes.ts';
import { queryContext } from '../src/query/context.ts';
import type { QueryContext } from '../src/query/context.ts';
import { queryRows } from '../src/query/db.ts';
import { fairness } from '../src/query/fairness.ts';
import type { FairnessParams } from '../src/query/fairness.ts';
import { buildLookups } from '../src/query/lookups.ts';
import { search } from '../src/query/search.ts';
import { timeline } from '../src/query/timeline.ts';
import { assembleReportData } from '../src/report/assemble.ts';
import { renderReportHtml } from '../src/report/document.ts';
import { writeReportFiles } from '../src/report/write.ts';
import { verifyCase } from '../src/verify/case-run.ts';
import { CASE_NAME, STAGE_MARK } from './load.ts';
import type { StageArgs, StageResult } from './load.ts';

const ms = (since: number) => performance.now() - since;

/** The peak total RSS of this process's descendants (the report's Chromium), sampled from /proc. */
function descendantSampler(): { stop(): number } {
  let peak = 0;
  const sample = () => {
    try {
      const parent = new Map<number, number>();
      const rss = new Map<number, number>();
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          parent.set(Number(name), Number(fields[1]));
          // field 24 of stat: resident pages
          rss.set(Number(name), Number(fields[21]) * 4096);
        } catch {
          // the process ended while listed
        }
      }
      let total = 0;
      for (const [pid, bytes] of rss) {
        let p = parent.get(pid);
        while (p !== undefined && p > 1 && p !== process.pid) p = parent.get(p);
        if (p === process.pid) total += bytes;
      }
      peak = Math.max(peak, total);
    } catch {
      // no /proc: not measured
    }
  };
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      return peak / (1 << 20);
    },
  };
}

async function openCase(args: StageArgs, mode: 'read' | 'write'): Promise<CaseHandle> {
  return new Workspace(args.workspace).open(args.caseName ?? CASE_NAME, {
    mode,
    actor: 'bench-load',
    purpose: 'bench load',
  });
}

async function withContext<T>(args: StageArgs, fn: (ctx: QueryContext, h: CaseHandle) => Promise<T>): Promise<T> {
  const h = await openCase(args, 'read');
  try {
    return await fn(await queryContext(h), h);
  } finally {
    await h.close();
  }
}

/** A fairness question the archive can answer: the demo's, else its first group-like member and commonest prediction. */
async function fairnessQuestion(ctx: QueryContext): Promise<FairnessParams> {
  const members = await queryRows(ctx.duck, `SELECT root, member FROM ${ATTRIBUTE_MEMBERS} ORDER BY root DESC`).catch(
    () => [],
  );
  const group = members.find((m) => m.member === 'group') ?? members[0];
  const attribute = group ? `${String(group.root)}.${String(group.member)}` : 'riskTier';
  const approve = await queryRows(ctx.duck, `SELECT 1 FROM decisions WHERE prediction = 'approve' LIMIT 1`);
  const positivePrediction =
    approve.length > 0
      ? 'approve'
      : String(
          (await queryRows(ctx.duck, `SELECT prediction FROM decisions WHERE prediction IS NOT NULL LIMIT 1`))[0]
            ?.prediction ?? 'approve',
        );
  return { attribute, positivePrediction };
}

async function stage(name: string, args: StageArgs, figures: Record<string, number>, notes: string[]): Promise<void> {
  switch (name) {
    case 'generate': {
      const t = performance.now();
      const summary = await generateDemoArchive({ out: args.archive, decisions: args.decisions ?? 100_000 });
      figures.seconds = ms(t) / 1000;
      figures.records = Object.values(summary.streams).reduce((a, s) => a + s.records, 0);
      return;
    }
    case 'import': {
      const ws = new Workspace(args.workspace);
      const h = await ws.create(CASE_NAME, { actor: 'bench-load' });
      try {
        let t = performance.now();
        const result = await importArchives(h, [args.archive]);
        await h.duck.run('CHECKPOINT');
        figures.seconds = ms(t) / 1000;
        if (result.status !== 'done') throw new Error(`import ${result.status}: ${result.error ?? ''}`);
        figures.records = result.counts.records;
        figures.rejected = result.rejectsTotal;
        // what the CLI import does next: the lookup tables the queries use
        t = performance.now();
        await buildLookups(h.duck);
        await h.duck.run('CHECKPOINT');
        figures.lookups_s = ms(t) / 1000;
      } finally {
        await h.close();
      }
      const caseDir = ws.locate(CASE_NAME);
      figures.evidence_db_mb = statSync(path.join(caseDir, 'evidence.duckdb')).size / (1 << 20);
      figures.case_sqlite_mb = statSync(path.join(caseDir, 'case.sqlite')).size / (1 << 20);
      return;
    }
    case 'verify': {
      const h = await openCase(args, 'write');
      try {
        const t = performance.now();
        const run = await verifyCase(h);
        figures.seconds = ms(t) / 1000;
        figures.records = Object.values(run.report.streams).reduce((a, s) => a + s.records, 0);
        figures.findings_not_pass = run.report.findings.filter((f) => f.status !== 'pass').length;
        notes.push(`verdict ${run.report.verdict}: ${run.report.reason}`);
      } finally {
        await h.close();
      }
      return;
    }
    case 'search':
      await withContext(args, async (ctx) => {
        let t = performance.now();
        const all = await search(ctx, {});
        figures.unfiltered_ms = ms(t);
        figures.records = all.total;
        const model = all.facets.modelId?.values[0]?.value;
        const [span] = await queryRows(
          ctx.duck,
          `SELECT strftime(min("timestamp"), '%Y-%m-%dT%H:%M:%SZ') AS "from", strftime(min("timestamp") + INTERVAL 30 DAY, '%Y-%m-%dT%H:%M:%SZ') AS "to" FROM decisions`,
        );
        t = performance.now();
        const filtered = await search(ctx, {
          ...(typeof model === 'string' ? { modelId: model } : {}),
          from: String(span.from),
          to: String(span.to),
          sort: '-time',
        });
        figures.filtered_ms = ms(t);
        figures.filtered_total = filtered.total;
        figures.seconds = (figures.unfiltered_ms + figures.filtered_ms) / 1000;
      });
      return;
    case 'timeline':
      await withContext(args, async (ctx) => {
        const [pick] = await queryRows(
          ctx.duck,
          `SELECT decision_id FROM decisions WHERE decision_id IN (SELECT decision_id FROM reviews WHERE event_type = 'escalated' LIMIT 100) LIMIT 1`,
        );
        const [any] = pick ? [pick] : await queryRows(ctx.duck, `SELECT decision_id FROM decisions LIMIT 1`);
        const id = String(any.decision_id);
        let t = performance.now();
        const first = await timeline(ctx, { decisionId: id });
        figures.first_ms = ms(t);
        const warm: number[] = [];
        for (let k = 0; k < 5; k++) {
          t = performance.now();
          await timeline(await queryContext({ duck: ctx.duck, sqlite: ctx.sqlite, mode: 'read' }), { decisionId: id });
          warm.push(ms(t));
        }
        figures.warm_ms = warm.sort((a, b) => a - b)[2];
        figures.events = first.events.length;
        figures.seconds = figures.first_ms / 1000;
      });
      return;
    case 'fairness':
      await withContext(args, async (ctx) => {
        const q = await fairnessQuestion(ctx);
        notes.push(`${q.attribute}, positive prediction ${q.positivePrediction}`);
        let t = performance.now();
        const r = await fairness(ctx, q);
        figures.first_ms = ms(t);
        figures.records = r.groups.reduce((a, g) => a + g.n, 0) + r.missing;
        t = performance.now();
        await fairness(ctx, q);
        figures.second_ms = ms(t);
        figures.seconds = figures.first_ms / 1000;
      });
      return;
    case 'anomalies':
      await withContext(args, async (ctx) => {
        const t = performance.now();
        for (const f of ANOMALY_FILTERS) {
          const s = performance.now();
          const r = await runAnomaly(ctx, f);
          figures[`${f.id.replace(/-/g, '_')}_ms`] = ms(s);
          figures[`${f.id.replace(/-/g, '_')}_hits`] = r.total;
        }
        figures.seconds = ms(t) / 1000;
        figures.max_ms = Math.max(...ANOMALY_FILTERS.map((f) => figures[`${f.id.replace(/-/g, '_')}_ms`]));
      });
      return;
    case 'report': {
      // what `audit-ws report --format pdf` does once a verification run exists
      const h = await openCase(args, 'write');
      const chromium = descendantSampler();
      try {
        const ctx = await queryContext(h);
        const q = await fairnessQuestion(ctx);
        let t = performance.now();
        const data = await assembleReportData(h, {
          investigator: 'bench-load',
          fairness: [{ attribute: q.attribute, positivePrediction: q.positivePrediction }],
        });
        figures.assemble_s = ms(t) / 1000;
        mkdirSync(args.out!, { recursive: true });
        figures.html_mb = Buffer.byteLength(renderReportHtml(data)) / (1 << 20);
        t = performance.now();
        try {
          await writeReportFiles(data, args.out!, ['pdf']);
        } finally {
          figures.pdf_s = ms(t) / 1000;
          figures.seconds = figures.assemble_s + figures.pdf_s;
        }
        figures.pdf_kb = statSync(path.join(args.out!, 'report.pdf')).size / 1024;
      } finally {
        figures.chromium_peak_rss_mb = chromium.stop();
        await h.close();
      }
      return;
    }
    default:
      throw new Error(`unknown stage ${name}`);
  }
}

const [name, json] = process.argv.slice(2);
const args = JSON.parse(json) as StageArgs;
const figures: Record<string, number> = {};
const notes: string[] = [];
const loadStart = os.loadavg()[0];
const started = performance.now();
let error: string | undefined;
try {
  await stage(name, args, figures, notes);
} catch (err) {
  error = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.exitCode = 1;
}
const result: StageResult = {
  stage: name,
  seconds: figures.seconds ?? ms(started) / 1000,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  loadAvg: [loadStart, os.loadavg()[0]],
  figures,
  notes,
  ...(error ? { error } : {}),
};
process.stdout.write(`${STAGE_MARK}${JSON.stringify(result)}\n`);
