// Worker bootstrap: registers tsx so the demo's second thread runs the TypeScript core without a build step.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
