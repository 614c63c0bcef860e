/**
 * Benchmark harness: `npm run bench [-- --only NAME[,NAME]] [--records N] [--out FILE]`, plus the options
 * some benchmarks take (`--workspace DIR --case NAME`, `--archive DIR`, `--tmp DIR`; see BenchOptions).
 * Each registered benchmark (bench/registry.ts) runs in a child process of its own, so the peak RSS
 * printed for it is that benchmark's alone; results go to bench-results.json as
 * [{name, value, unit, baseline?, ratio?}].
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BENCHMARKS } from './registry.ts';
import type { BenchEntry, BenchOptions } from './types.ts';

const OPTION_FLAGS = ['workspace', 'case', 'archive', 'tmp'] as const;

interface Flags {
  only?: string[];
  records?: number;
  out: string;
  child?: string;
  options: BenchOptions;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { out: 'bench-results.json', options: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') flags.only = [...(flags.only ?? []), ...value().split(',')];
    else if (a === '--records') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--records must be a positive whole number, not "${v}"`);
      flags.records = Number(v);
    } else if (a === '--out') flags.out = value();
    else if (a === '--child') flags.child = value();
    else if (OPTION_FLAGS.some((o) => a === `--${o}`)) flags.options[a.slice(2) as keyof BenchOptions] = value();
    else
      throw new Error(
        `unknown flag ${a}; use --only NAME, --records N, --out FILE, ${OPTION_FLAGS.map((o) => `--${o} VALUE`).join(', ')}`,
      );
  }
  return flags;
}

const RESULT_MARK = 'BENCH-RESULT ';

async function runChild(name: string, records: number | undefined, options: BenchOptions): Promise<void> {
  const bench = BENCHMARKS.find((b) => b.name === name)!;
  const n = records ?? bench.defaultRecords;
  const started = performance.now();
  const entries = await bench.run(n, (line) => process.stderr.write(`${line}\n`), options);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ entries, seconds, peakRssMb, records: n })}\n`);
}

function runParent(flags: Flags): number {
  const unknown = (flags.only ?? []).filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
    );
    return 2;
  }
  const selected = flags.only ? BENCHMARKS.filter((b) => flags.only!.includes(b.name)) : BENCHMARKS;
  const all: BenchEntry[] = [];
  let failed = 0;
  for (const bench of selected) {
    const records = flags.records ?? bench.defaultRecords;
    process.stderr.write(`\n== ${bench.name} (${records} records): ${bench.description}\n`);
    const args = [
      'bin/run-ts.mjs',
      'bench/run.ts',
      '--child',
      bench.name,
      ...(flags.records ? ['--records', String(flags.records)] : []),
      ...Object.entries(flags.options).flatMap(([k, v]) => [`--${k}`, v]),
    ];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    const line = r.stdout?.split('\n').find((l) => l.startsWith(RESULT_MARK));
    if (r.status !== 0 || !line) {
      process.stderr.write(`${bench.name}: failed (exit ${r.status})\n`);
      failed++;
      continue;
    }
    const res = JSON.parse(line.slice(RESULT_MARK.length)) as {
      entries: BenchEntry[];
      seconds: number;
      peakRssMb: number;
    };
    const entries = [...res.entries];
    if (!entries.some((e) => e.name === `${bench.name}.peak_rss_mb`)) {
      entries.push({ name: `${bench.name}.peak_rss_mb`, value: Math.round(res.peakRssMb), unit: 'MB' });
    }
    const rates = entries
      .filter((e) => e.unit === 'records/s')
      .map((e) => `${e.value} records/s${e.ratio !== undefined ? ` (x${e.ratio} of ${e.baseline})` : ''}`);
    process.stdout.write(
      `${bench.name.padEnd(16)} ${rates.join(', ') || '-'}; peak RSS ${Math.round(res.peakRssMb)} MB (benchmark process); ${res.seconds.toFixed(1)} s\n`,
    );
    all.push(...entries);
  }
  writeFileSync(flags.out, `${JSON.stringify(all, null, 2)}\n`);
  process.stdout.write(`wrote ${all.length} results to ${flags.out}\n`);
  return failed > 0 ? 1 : 0;
}

try {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.child) await runChild(flags.child, flags.records, flags.options);
  else process.exitCode = runParent(flags);
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
