// The investigation commands as a user runs them, against a case in a temp workspace: output, exit codes
// (0 ok, 1 findings, 2 bad input) and, for --input, the custody log entry. Commands run in this process
// through runCli with stdout / stderr captured (a real process per command costs seconds each); one
// runs as a real process through bin/audit-ws.mjs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { readCustody } from '../../src/case/custody.ts';
import { openCaseSqliteReadOnly } from '../../src/case/store.ts';
import { caseOfRecords } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const START = Date.parse('2026-06-01T00:00:00Z');
const features = (i: number) => ({ group: i % 3 === 0 ? 'x' : 'y', income: 20_000 + i, ratio: 1.0 });
const sha256 = async (s: string) => (await import('node:crypto')).createHash('sha256').update(s).digest('hex');

let tc: TestCase;
let caseDir: string;

async function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await runCli(['node', 'audit-ws', ...args, '--case', 'query test', '--workspace', tc.workspace.dir]);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function cliProcess(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [path.join(repo, 'bin/audit-ws.mjs'), ...args, '--case', 'query test', '--workspace', tc.workspace.dir],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const decisions = [];
  for (let i = 0; i < 90; i++) {
    // group x is approved a third as often as y: a disparity
    const approve = i % 3 === 0 ? i % 9 === 0 : true;
    decisions.push({
      decisionId: `c-${i}`,
      traceId: `t-${i}`,
      timestamp: new Date(START + i * 600_000).toISOString(),
      modelId: 'scorer',
      modelVersion: '1',
      inputFeatures: features(i),
      // c-0 was hashed the RFC 8785 way, c-1 the way Python's json.dumps(sort_keys=True) writes it
      inputHash:
        i === 1
          ? await sha256('{"group": "y", "income": 20001, "ratio": 1.0}')
          : await sha256(canonicalize(features(i))!),
      prediction: approve ? 'approve' : 'decline',
      confidence: i === 5 ? 0.1 : 0.9,
      latencyMs: 30,
      affectedUserId: `u-${i % 5}`,
    });
  }
  tc = await caseOfRecords({ 'decisions.jsonl': decisions });
  caseDir = tc.handle.dir;
  await tc.handle.close();
}, 60_000);

afterAll(async () => tc?.close());

describe('audit-ws investigation commands', () => {
  it('timeline --json prints the timeline (as a real process); text output lists the events', async () => {
    const r = cliProcess('timeline', '--decision', 'c-3', '--json');
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.decisions[0].decisionId).toBe('c-3');
    expect(t.nearby[0].affectedUserId).toBe('u-3');
    const text = await cli('timeline', '--trace', 't-3');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Timeline of traceId t-3');
    expect(text.stdout).toContain('scorer 1 predicted decline');
  });

  it('timeline of an unknown id exits 2 with one sentence', async () => {
    const r = await cli('timeline', '--decision', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('audit-ws: the case holds no decision with decision id "nope"');
  });

  it('search filters, pages and prints facets', async () => {
    const r = await cli('search', '--user', 'u-1', '--limit', '5', '--json');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.total).toBe(18);
    expect(s.items).toHaveLength(5);
    const text = await cli('search', '--text', 'c-8', '--facet', 'modelId');
    expect(text.stdout).toMatch(/^11 decisions/);
    expect(text.stdout).toContain('modelId: scorer 11');
    expect((await cli('search', '--reviewed', 'maybe')).status).toBe(2);
  });

  it('anomalies exits 1 when a filter flags something, and lists filters with their defaults', async () => {
    const r = await cli('anomalies', '--json');
    expect(r.status).toBe(1);
    const results = JSON.parse(r.stdout) as { id: string; total: number; items: { item: { decisionId: string } }[] }[];
    expect(results.find((x) => x.id === 'low-confidence')!.items.map((i) => i.item.decisionId)).toEqual(['c-5']);
    expect(results.filter((x) => x.total > 0).map((x) => x.id)).toEqual(['low-confidence']);
    const clean = await cli('anomalies', '--only', 'low-confidence', '--set', 'low-confidence.threshold=0.05');
    expect(clean.status).toBe(0);
    const list = await cli('anomalies', '--list');
    expect(list.stdout).toContain('short-reviews: Review events whose durationMs is under a minimum');
    expect(list.stdout).toContain('maxSeconds (default 10)');
    const bad = await cli('anomalies', '--set', 'low-confidence.threshold=high');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('low-confidence.threshold must be a number');
  });

  it('oversight prints rates', async () => {
    const r = await cli('oversight', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).overall.decisions).toBe(90);
  });

  it('fairness exits 1 on a disparity and prints the fairness JSON shape', async () => {
    const r = await cli('fairness', '--attribute', 'inputFeatures.group', '--positive-prediction', 'approve', '--json');
    expect(r.status).toBe(1);
    const f = JSON.parse(r.stdout);
    expect(Object.keys(f)).toEqual(expect.arrayContaining(['attribute', 'reference', 'groups', 'missing', 'excluded']));
    expect(Object.keys(f.groups[0])).toEqual(
      expect.arrayContaining([
        'group',
        'n',
        'selectionRate',
        'tpr',
        'fpr',
        'fnr',
        'precision',
        'disparateImpact',
        'ci',
        'flags',
      ]),
    );
    expect(f.reference).toBe('y');
    expect(f.groups.find((g: { group: string }) => g.group === 'x').flags).toContain('fails-four-fifths');
    const fair = await cli(
      'fairness',
      '--attribute',
      'inputFeatures.group',
      '--positive-prediction',
      'approve',
      '--reference',
      'x',
      '--min-group',
      '100',
    );
    expect(fair.status).toBe(0);
    expect(fair.stdout).toContain('below-min-size');
    expect((await cli('fairness', '--attribute', 'inputFeatures.group')).status).toBe(2);
  });

  it('timeline --input matches RFC 8785 and Python hashes, records the check, and exits 1 on a mismatch', async () => {
    const input = path.join(tc.root, 'raw-input.json');
    writeFileSync(input, '{"ratio": 1.0, "income": 20000, "group": "x"}\n');
    const jcs = await cli(
      'timeline',
      '--decision',
      'c-0',
      '--input',
      input,
      '--json',
      '--investigator',
      'ir-responder',
    );
    expect(jcs.status).toBe(0);
    expect(JSON.parse(jcs.stdout).inputMatch).toMatchObject({ matched: true, records: [{ rule: 'rfc8785' }] });
    writeFileSync(input, '{"income": 20001, "group": "y", "ratio": 1.0}');
    const py = await cli('timeline', '--decision', 'c-1', '--input', input);
    expect(py.status).toBe(0);
    expect(py.stdout).toContain('MATCH: inputHash');
    expect(py.stdout).toContain('python-json-dumps-sort-keys');
    const wrong = await cli('timeline', '--decision', 'c-2', '--input', input);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain('NO MATCH');
    const db = openCaseSqliteReadOnly(caseDir);
    try {
      const checks = readCustody(db).filter((e) => e.action === 'input.checked');
      expect(checks.map((e) => [e.actor, e.details.decisionId, e.details.matched, e.details.rule])).toEqual([
        ['ir-responder', 'c-0', true, 'rfc8785'],
        [expect.any(String), 'c-1', true, 'python-json-dumps-sort-keys'],
        [expect.any(String), 'c-2', false, null],
      ]);
      // the input itself is not kept unless asked for
      expect(checks.every((e) => e.details.inputKept === false && e.details.input === undefined)).toBe(true);
    } finally {
      db.close();
    }
    expect((await cli('timeline', '--decision', 'c-0', '--input', path.join(tc.root, 'missing.json'))).status).toBe(2);
  });
});
