import type { Command } from 'commander';
import { registerCustody } from './custody.ts';
import { registerExport } from './export.ts';
import { registerCase } from './case.ts';
import { registerDemo } from './demo.ts';
import { registerImport } from './import.ts';
import { registerInspect } from './inspect.ts';
import { registerPackage } from './package.ts';
import { registerReport } from './report.ts';
import { registerServe } from './serve.ts';
import { registerSql } from './sql.ts';
import { registerAnomalies } from './anomalies.ts';
import { registerFairness } from './fairness.ts';
import { registerOversight } from './oversight.ts';
import { registerSearch } from './search.ts';
import { registerTimeline } from './timeline.ts';
import { registerVerify } from './verify.ts';
import { registerVerifyPackage } from './verify-package.ts';

/** Every CLI command, registered explicitly: one file each. */
export const commands: ReadonlyArray<(program: Command) => void> = [
  registerDemo,
  registerInspect,
  registerVerify,
  registerServe,
  registerCustody,
  registerExport,
  registerReport,
  registerTimeline,
  registerSearch,
  registerAnomalies,
  registerOversight,
  registerFairness,
  registerPackage,
  registerVerifyPackage,
  registerCase,
  registerImport,
  registerSql,
];
