import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressStatus, verifyProgressLine, type VerifyProgressStatus } from '../../src/cli/commands/verify.ts';
import { generateDemoArchive, type DemoSummary } from '../../src/demo/generator.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'verify-progress-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let archive: string;
let summary: DemoSummary;
beforeAll(async () => {
  archive = join(root, 'demo');
  summary = await generateDemoArchive({ out: archive, decisions: 400, days: 3, seed: 2 });
});

function verify(...args: string[]) {
  // stderr is a pipe here, not a terminal: the bar appears only when asked for
  return spawnSync(process.execPath, [join(repo, 'bin/audit-ws.mjs'), 'verify', archive, ...args], {
    encoding: 'utf8',
  });
}

const LINE =
  /^verifying {2}\[[#.]{24}\] +(\d+)% {2}[\d.]+ (?:B|kB|MB)\/[\d.]+ (?:B|kB|MB) {2}(\d+) rec {2}\d+ rec\/s {2}(ETA \d+s|\d+s elapsed) {2}stream \w+/;

describe('audit-ws verify --progress', () => {
  it('bar: lines redrawn in place on stderr with share, bytes, records, rate and ETA, cleared before the report', () => {
    // --workers 1: the scan reports after every byte range of every file, so a small archive gives several events
    const r = verify('--workers', '1', '--progress', 'bar');
    expect(r.status).toBe(0);
    const drawn = r.stderr
      .split('\r')
      .map((l) => (l.endsWith('\u001b[K') ? l.slice(0, -3) : l))
      .filter((l) => l.length > 0);
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    const parsed = drawn.map((l) => {
      const m = LINE.exec(l);
      expect(m, l).not.toBeNull();
      return { percent: Number(m![1]), records: Number(m![2]), tail: m![3] };
    });
    // the first event is always drawn (some bytes still to go: an ETA), the last one at 100% with every record
    expect(parsed[0].tail).toMatch(/^ETA /);
    expect(parsed[0].percent).toBeLessThan(100);
    const last = parsed[parsed.length - 1];
    expect(last.percent).toBe(100);
    expect(last.tail).toMatch(/elapsed$/);
    expect(last.records).toBe(summary.streams.reduce((n, s) => n + s.records, 0));
    for (let i = 1; i < parsed.length; i++) expect(parsed[i].records).toBeGreaterThanOrEqual(parsed[i - 1].records);
    // the bar is wiped before the report, which goes to stdout untouched
    expect(r.stderr.endsWith('\r\u001b[K')).toBe(true);
    expect(r.stdout.startsWith('Verdict: INTACT')).toBe(true);
    expect(r.stdout).not.toContain('\r');
  });

  it('json: one object per event on stderr, the report as JSON on stdout', () => {
    const r = verify('--workers', '1', '--progress', 'json', '--json');
    expect(r.status).toBe(0);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as VerifyProgressStatus);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const e of events) {
      expect(e.bytesTotal).toBe(events[0].bytesTotal);
      expect(e.bytesDone).toBeLessThanOrEqual(e.bytesTotal);
      expect(e.recordsPerSecond).toBeGreaterThanOrEqual(0);
    }
    expect(events[0].etaSeconds).toBeGreaterThanOrEqual(0);
    expect(events.at(-1)).toMatchObject({ bytesDone: events[0].bytesTotal });
    expect(events.at(-1)!.etaSeconds).toBeUndefined();
    expect(JSON.parse(r.stdout).verdict).toBe('intact');
  });

  it('by default nothing is drawn when stderr is not a terminal, and a bad --progress is refused', () => {
    const quiet = verify('--workers', '1');
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    const bad = verify('--progress', 'fancy');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--progress must be bar, json or none, not "fancy"/);
  });
});

// util-linux `script` runs the command on a pseudo-terminal, so stderr is a TTY as in an investigator's shell
const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('on a terminal (under `script`)', () => {
  const onTty = (...args: string[]) =>
    spawnSync(
      'script',
      ['-qec', [process.execPath, join(repo, 'bin/audit-ws.mjs'), 'verify', archive, ...args].join(' '), '/dev/null'],
      { encoding: 'utf8' },
    );

  it('draws the bar by default, and not with --json', () => {
    const bar = onTty('--workers', '1');
    expect(bar.status).toBe(0);
    expect(bar.stdout).toMatch(/\rverifying {2}\[[#.]{24}\] +\d+%/);
    expect(bar.stdout).toMatch(/Verdict: INTACT/);
    const json = onTty('--workers', '1', '--json');
    expect(json.status).toBe(0);
    expect(json.stdout).not.toContain('verifying  [');
    expect(JSON.parse(json.stdout.replace(/\r/g, '')).verdict).toBe('intact');
  });
});

describe('the progress line', () => {
  it('shows the share of bytes, bytes, records, rate and time left', () => {
    const s = progressStatus(
      { phase: 'stream decisions', recordsDone: 250_000, bytesDone: 300_000_000, bytesTotal: 1_200_000_000 },
      10_000,
    );
    expect(s).toMatchObject({ recordsPerSecond: 25_000, bytesPerSecond: 30_000_000, etaSeconds: 30 });
    expect(verifyProgressLine(s, 200)).toBe(
      'verifying  [######..................]   25%  300.0 MB/1.20 GB  250000 rec  25000 rec/s  ETA 30s  stream decisions',
    );
    const done = progressStatus(
      { phase: s.phase, recordsDone: 1_000_000, bytesDone: s.bytesTotal, bytesTotal: s.bytesTotal },
      75_000,
    );
    expect(done.etaSeconds).toBeUndefined();
    expect(verifyProgressLine(done, 200)).toContain('[########################]  100%  1.20 GB/1.20 GB');
    expect(verifyProgressLine(done, 200)).toContain('1m15s elapsed');
    expect(verifyProgressLine(done, 40)).toHaveLength(40);
  });
});
