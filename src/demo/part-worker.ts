/** The demo generator's second thread: writes one part of the archive and reports back (see generator.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { AuditWsError } from '../errors.ts';
import { runDemoPart, type DemoPart, type ValidDemoOptions } from './generator.ts';

const { options, part } = workerData as { options: ValidDemoOptions; part: DemoPart };
try {
  parentPort!.postMessage({ ok: true, result: await runDemoPart(options, part) });
} catch (err) {
  const code = err instanceof AuditWsError ? err.code : 'INTERNAL';
  parentPort!.postMessage({ ok: false, code, message: err instanceof Error ? err.message : String(err) });
}
