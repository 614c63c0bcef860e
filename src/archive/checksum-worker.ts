import { parentPort } from 'node:worker_threads';
import { checksumsOfFile, type ChecksumAlgorithm } from './s3checksums.ts';

interface Job {
  id: number;
  path: string;
  partSizes?: number[];
  algorithms: (ChecksumAlgorithm | 'MD5')[];
}

parentPort!.on('message', (job: Job) => {
  checksumsOfFile(job.path, job.partSizes, job.algorithms).then(
    (result) => parentPort!.postMessage({ id: job.id, ok: true, result }),
    (err: unknown) => parentPort!.postMessage({ id: job.id, ok: false, error: String(err) }),
  );
});
