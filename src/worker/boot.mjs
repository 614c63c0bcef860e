// Worker bootstrap: registers tsx so a worker thread can run the TypeScript core without a build step.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
