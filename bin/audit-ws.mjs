#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx audit-ws` works from a plain checkout, no build step.
import { register } from 'tsx/esm/api';
register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv);
