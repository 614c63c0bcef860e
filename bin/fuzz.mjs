#!/usr/bin/env node
// The long fuzz run: the suites of test/fuzz (which CI runs with a few dozen cases per property) with
// many cases per property, then a table of counts per parser.
//
//   npm run fuzz                      20,000 cases per property
//   npm run fuzz -- 5000              5,000 cases per property
//   npm run fuzz -- 5000 parquet      only the suites whose file name matches "parquet"
//   FUZZ_SEED=123 npm run fuzz        replay a seed (printed with any failure)
//
// Exit status: 0 when every property held, 1 otherwise.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const runs = args.length > 0 && /^\d+$/.test(args[0]) ? Number(args.shift()) : 20_000;
const filters = args.length > 0 ? args.map((a) => `test/fuzz/${a}`) : ['test/fuzz'];

const statsDir = mkdtempSync(join(tmpdir(), 'audit-ws-fuzz-stats-'));
// FUZZ_STATS_FILE keeps the per-property counts (JSON lines, appended); otherwise they go to a temporary file.
const statsFile = process.env.FUZZ_STATS_FILE ?? join(statsDir, 'stats.jsonl');
const firstRow = (() => {
  try {
    return readFileSync(statsFile, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
})();
const started = Date.now();
console.log(`fuzz: ${runs} cases per property (${filters.join(', ')})`);

const child = spawn(
  process.execPath,
  [
    join(repo, 'node_modules/vitest/vitest.mjs'),
    'run',
    ...filters,
    '--testTimeout=86400000',
    '--hookTimeout=600000',
    '--reporter=default',
  ],
  {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_STATS_FILE: statsFile },
  },
);
const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));

let rows;
try {
  rows = readFileSync(statsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(firstRow)
    .map((l) => JSON.parse(l));
} catch {
  rows = [];
}
rmSync(statsDir, { recursive: true, force: true });

const byParser = new Map();
for (const r of rows) {
  const t = byParser.get(r.parser) ?? {
    parser: r.parser,
    properties: 0,
    cases: 0,
    valid: 0,
    rejected: 0,
    failures: 0,
    slowestMs: 0,
    totalMs: 0,
    peakRssMb: 0,
  };
  t.properties++;
  t.cases += r.cases;
  t.valid += r.valid;
  t.rejected += r.rejected;
  t.failures += r.failures;
  t.slowestMs = Math.max(t.slowestMs, r.slowestMs);
  t.totalMs += r.totalMs ?? 0;
  t.peakRssMb = Math.max(t.peakRssMb, r.peakRssMb);
  byParser.set(r.parser, t);
}

const header = [
  'parser',
  'properties',
  'cases',
  'valid',
  'rejected (clear error)',
  'failures',
  'mean case ms',
  'slowest case ms',
  'peak RSS MB',
];
const table = [...byParser.values()].map((t) => [
  t.parser,
  t.properties,
  t.cases,
  t.valid,
  t.rejected,
  t.failures,
  t.cases > 0 ? (t.totalMs / t.cases).toFixed(1) : '',
  t.slowestMs,
  t.peakRssMb,
]);
const total = table.reduce(
  (a, r) => a.map((v, i) => (i >= 2 && i <= 5 ? v + r[i] : v)),
  ['total', rows.length, 0, 0, 0, 0, '', '', ''],
);
const all = [header, ...table, total].map((r) => r.map(String));
const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
console.log('');
for (const [i, r] of all.entries()) {
  console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
for (const r of rows.filter((x) => x.failures > 0))
  console.log(`\nFAILED ${r.parser} / ${r.property} (seed ${r.seed}): ${r.counterexample ?? ''}`);
console.log(`\n${Math.round((Date.now() - started) / 1000)} s; vitest exit ${code}`);
process.exit(code === 0 && rows.every((r) => r.failures === 0) ? 0 : 1);
