/** Every benchmark `npm run bench` knows, registered explicitly: one file each under bench/. */
import { benchDemoGenerate } from './demo-generate.ts';
import { benchRecordHash } from './record-hash.ts';
import type { Benchmark } from './types.ts';
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
];
