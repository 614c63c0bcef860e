import type { Command } from 'commander';
import { registerCustody } from './custody.ts';
import { registerExport } from './export.ts';
import { registerDemo } from './demo.ts';
import { registerInspect } from './inspect.ts';
import { registerServe } from './serve.ts';
import { registerVerify } from './verify.ts';

/** Every CLI command, registered explicitly: one file each. */
export const commands: ReadonlyArray<(program: Command) => void> = [
  registerDemo,
  registerInspect,
  registerVerify,
  registerServe,
  registerCustody,
  registerExport,
];
