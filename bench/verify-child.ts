/**
 * One measured verification run in its own process, so peak RSS belongs to that run alone.
 * node bin/run-ts.mjs bench/verify-child.ts MODE ARCHIVE_DIR  ->  one JSON line on stdout
 * MODE: ours | baseline | ceiling
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import canonicalize from 'canonicalize';
import { openArchive } from '../src/archive/open.ts';
import { verifyArchives } from '../src/verify/engine.ts';

const [mode, dir] = process.argv.slice(2);
const decisionFiles = readdirSync(join(dir, 'decisions'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .map((f) => join(dir, 'decisions', f));

/** The straightforward verifier an engineer writes first: readline, JSON.parse, canonicalize, createHash. */
async function baseline(): Promise<number> {
  let n = 0;
  let prev: string | undefined;
  let bad = 0;
  for (const file of decisionFiles) {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      const { hash, ...rest } = rec;
      const strip = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(strip)
          : v && typeof v === 'object'
            ? Object.fromEntries(
                Object.entries(v)
                  .filter(([, x]) => x !== null)
                  .map(([k, x]) => [k, strip(x)]),
              )
            : v;
      const computed = createHash('sha256')
        .update(canonicalize(strip(rest)) as string)
        .digest('hex');
      if (computed !== hash) bad++;
      if (prev !== undefined && rec.prevHash !== prev) bad++;
      prev = hash as string;
      n++;
    }
  }
  if (bad) throw new Error(`baseline found ${bad} problems in an intact archive`);
  return n;
}

/** The practical ceiling: JSON.parse of every line on every core, nothing else. */
async function ceiling(): Promise<number> {
  const jobs: { file: string; start: number; end: number }[] = [];
  const chunk = 8 * 1024 * 1024;
  for (const file of decisionFiles) {
    const size = statSync(file).size;
    for (let s = 0; s < size; s += chunk) jobs.push({ file, start: s, end: Math.min(size, s + chunk) });
  }
  const code = `
    const { parentPort } = require('node:worker_threads');
    const fs = require('node:fs');
    parentPort.on('message', ({ file, start, end }) => {
      // read one line beyond the range end so lines are not cut; skip the partial first line
      const fd = fs.openSync(file, 'r');
      const extra = 1 << 20;
      const buf = Buffer.alloc(end - start + extra);
      const len = fs.readSync(fd, buf, 0, buf.length, start);
      fs.closeSync(fd);
      let pos = 0;
      if (start > 0) { pos = buf.indexOf(10) + 1; }
      let n = 0;
      while (pos < len && pos <= end - start) {
        let nl = buf.indexOf(10, pos);
        if (nl < 0 || nl > len) nl = len;
        if (nl > pos) { JSON.parse(buf.toString('utf8', pos, nl)); n++; }
        pos = nl + 1;
      }
      parentPort.postMessage(n);
    });`;
  const workers = Array.from({ length: availableParallelism() }, () => new Worker(code, { eval: true }));
  let total = 0;
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < jobs.length) {
        const job = jobs[next++];
        // not `total += await ...`: that reads total before the await and loses the other worker's counts
        const n = await new Promise<number>((resolve) => {
          w.once('message', resolve);
          w.postMessage(job);
        });
        total += n;
      }
      await w.terminate();
    }),
  );
  return total;
}

async function ours(): Promise<number> {
  const archive = await openArchive(dir);
  // the decisions chain only, with its checkpoints: the same records the other two modes read
  archive.files = archive.files.filter(
    (f) => (f.role === 'data' && f.path.startsWith('decisions/')) || f.path.startsWith('checkpoints/decisions/'),
  );
  archive.checkpoints = archive.checkpoints.filter((c) => c.stream === 'decisions');
  const report = await verifyArchives([archive], { chainOnly: true });
  if (report.verdict !== 'intact')
    throw new Error(`verification of an intact archive said ${report.verdict}: ${report.reason}`);
  await archive.close();
  return report.streams.decisions.records;
}

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const records = mode === 'ours' ? await ours() : mode === 'baseline' ? await baseline() : await ceiling();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
// CPU time of every thread of the process over the same span: on a shared machine the wall time is
// inflated by other load, CPU time much less so
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  JSON.stringify({ mode, records, seconds, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n',
);
process.exit(0);
