// One of several processes racing for one case lock (case-lock.test.ts). Each round the test leaves a
// stale lock (a dead process's) and creates the round's start file; every racer then tries to take the
// lock and, while holding it, claims a marker file exclusively. A marker already there means two
// processes held the lock at once: the racer says so and exits 3.
import fs from 'node:fs';
import path from 'node:path';
import { acquireCaseLock } from '../../../src/case/lock.ts';

const [dir, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const lockPath = path.join(dir, 'case.lock');
const marker = path.join(dir, 'holder');
let held = 0;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

for (let round = 0; round < rounds; round++) {
  // The test gone (its folder removed) or stuck: stop rather than wait forever.
  const waitUntil = Date.now() + 30_000;
  while (!fs.existsSync(path.join(dir, `start-${round}`))) {
    if (!fs.existsSync(dir) || Date.now() > waitUntil) process.exit(4);
    sleep(1);
  }
  let lock;
  try {
    lock = acquireCaseLock(lockPath, 'Race', 'racer');
  } catch (err) {
    if ((err as { code?: string }).code !== 'CASE_LOCKED') throw err;
  }
  if (lock) {
    try {
      fs.writeFileSync(marker, String(process.pid), { flag: 'wx' });
    } catch {
      process.stdout.write(`two holders in round ${round}: ${fs.readFileSync(marker, 'utf8')} and ${process.pid}\n`);
      process.exit(3);
    }
    held++;
    sleep(3);
    fs.unlinkSync(marker);
    lock.release();
  }
  fs.writeFileSync(path.join(dir, `done-${round}-${process.pid}`), '');
}
process.stdout.write(`held ${held}\n`);
