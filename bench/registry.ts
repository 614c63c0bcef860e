/** Every benchmark `npm run bench` knows, registered explicitly: one file each under bench/. */
import { benchCsv } from './csv.ts';
import { benchDemoGenerate } from './demo-generate.ts';
import { benchImport } from './import.ts';
import { benchLoad } from './load.ts';
import { benchQuery } from './query.ts';
import { benchRecordHash } from './record-hash.ts';
import type { Benchmark } from './types.ts';
import { benchUiExplorer } from './ui-explorer.ts';
import { benchVerify } from './verify.ts';

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'demo-generate',
    description:
      'audit-ws demo: decisions (with their reviews, outcomes, explanations, checkpoints, manifest) written per second',
    defaultRecords: 200_000,
    run: benchDemoGenerate,
  },
  {
    name: 'record-hash',
    description: 'jcs-sha256-v1 record hashing over JSONL: our path vs readline + canonicalize + createHash',
    defaultRecords: 200_000,
    run: benchRecordHash,
  },
  {
    name: 'verify',
    description: 'full verification of a demo archive: ours vs a single-thread baseline and a parse-only ceiling',
    defaultRecords: 1_000_000,
    run: benchVerify,
  },
  {
    name: 'query',
    description:
      'investigation queries on a case made in DuckDB: lookup, timeline, search page, anomaly filters, fairness',
    defaultRecords: 10_000_000,
    run: benchQuery,
  },
  {
    name: 'csv',
    description:
      'streamed CSV export (formula escaping, hashing, back-pressure) of N rows from DuckDB, with RSS sampled for flatness',
    defaultRecords: 10_000_000,
    run: benchCsv,
  },
  {
    name: 'import',
    description: 'demo archive imported as JSONL and as Parquet (ZSTD) vs bare DuckDB read_json / read_parquet',
    defaultRecords: 1_000_000,
    run: benchImport,
  },
  {
    name: 'load',
    description:
      'end to end on one archive (--archive DIR, or a demo of --records N): import, verify, search, timeline, fairness, anomaly filters, PDF report, each stage in its own process (--tmp DIR for the temporary workspace)',
    defaultRecords: 100_000,
    run: benchLoad,
  },
  {
    name: 'ui-explorer',
    description:
      "the explorer through the browser-mode server's API, with the UI's own requests: first page, total and facets on opening, after filters and sorts, far pages; beside the requests it made before (--workspace DIR --case NAME: a copy of that case)",
    defaultRecords: 100_000,
    run: benchUiExplorer,
  },
];
