import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropNullMembers, sha256Hex } from '../../src/archive/canonical.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { addAnnotation } from '../../src/contract/annotations.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { fmtInt, fmtNum, fmtPct, fmtTime } from '../../src/report/html-kit.ts';

const BIN = fileURLToPath(new URL('../../bin/audit-ws.mjs', import.meta.url));
let tmp: string;
let ws: string;
let out: string;
let annotated: string;
// findings.json as parsed: the test reads it the way any consumer of the file would
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let report: Record<string, any>;
let pdfText: string;

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--workspace', ws], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Drops timing members, which differ between two runs of the same query. */
function withoutTimings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimings);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'ms') o[k] = withoutTimings(x);
    return o;
  }
  return v;
}

/** Asserts the PDF text holds a string or matches a pattern, without printing the whole PDF when it does not. */
function shows(what: string | RegExp): void {
  const ok = typeof what === 'string' ? pdfText.includes(what) : what.test(pdfText);
  expect(ok, `the PDF shows ${String(what)}`).toBe(true);
}

const FAIRNESS = [
  '--fairness',
  'inputFeatures.group',
  '--positive-prediction',
  'approve',
  '--fairness-model',
  'credit-limit-scorer',
];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'report-demo-'));
  ws = join(tmp, 'ws');
  const archive = join(tmp, 'demo');
  await generateDemoArchive({ out: archive, decisions: 1500, days: 7, seed: 11 });
  const handle = await new Workspace(ws).create('Demo report', { actor: 'Ada Investigator' });
  try {
    expect((await importArchives(handle, [archive])).status).toBe('done');
    await verifyCase(handle, {
      ...DEFAULT_VERIFY_OPTIONS,
      trustKeyFiles: [join(archive, 'keys/checkpoint-signing.pub.pem')],
      // the demo TSA's root from the repository, not the archive's own copy
      trustTsaFiles: [fileURLToPath(new URL('../../src/demo/demo-tsa-root.pem', import.meta.url))],
    });
    const [[id]] = (
      await handle.duck.runAndReadAll(
        "SELECT decision_id FROM decisions WHERE model_id = 'credit-limit-scorer' ORDER BY seq LIMIT 1",
      )
    ).getRowsJS();
    annotated = String(id);
    addAnnotation(handle, {
      target: `decision:${annotated}`,
      text: 'check the <b>income</b> figure',
      tags: ['follow-up'],
      starred: true,
    });
  } finally {
    await handle.close();
  }
  out = join(tmp, 'report');
  const r = cli(['report', '--case', 'Demo report', '--out', out, '--investigator', 'Ada Investigator', ...FAIRNESS]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  report = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
  pdfText = execFileSync('pdftotext', ['-layout', join(out, 'report.pdf'), '-'], { encoding: 'utf8' }).replace(
    /\s+/g,
    ' ',
  );
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('audit-ws report on a demo case', () => {
  it('writes the PDF, the HTML, findings.json and CSV tables with sidecars', () => {
    for (const f of [
      'report.pdf',
      'report.html',
      'findings.json',
      'csv/record-keeping.csv',
      'csv/record-keeping.csv.json',
      'csv/fairness-1.csv',
      'csv/oversight-by-reviewer.csv',
      'csv/custody.csv',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const info = execFileSync('pdfinfo', [join(out, 'report.pdf')], { encoding: 'utf8' });
    expect(Number(/Pages:\s+(\d+)/.exec(info)![1])).toBeGreaterThan(10);
    expect(info).toMatch(/A4/);
    // every page carries its number
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    for (const p of [1, pages]) shows(`Page ${p} of ${pages}`);
  });

  it('has every section, in order', () => {
    const order = [
      '1. Executive summary',
      '2. Integrity attestation',
      '3. Record-keeping coverage',
      '4. Human oversight',
      '5. Anomalies',
      '6. Fairness',
      '7. Selected decision timelines',
      '8. Annotations',
      '9. Methodology and limits',
      '10. Appendix',
    ];
    let at = pdfText.indexOf('Contents') + 1;
    at = pdfText.indexOf('10. Appendix', at); // past the table of contents
    let last = at;
    for (const title of order) {
      const i = pdfText.indexOf(title, last === at ? at : last);
      expect(i, title).toBeGreaterThan(-1);
      last = i;
    }
  });

  it('oversight numbers are those of audit-ws oversight --json, and the PDF shows them', () => {
    const cliJson = JSON.parse(cli(['oversight', '--case', 'Demo report', '--json']).stdout);
    expect(withoutTimings(report.oversight)).toEqual(withoutTimings(cliJson));
    const o = cliJson.overall;
    for (const s of [
      fmtInt(o.decisions),
      fmtPct(o.reviewCoverage),
      fmtPct(o.reviewRate),
      fmtPct(o.overrideRate),
      `${fmtNum(o.medianReviewSeconds, 1)} s`,
    ])
      shows(s);
    for (const r of cliJson.byReviewer)
      shows(new RegExp(`${r.reviewerId} ${fmtInt(r.reviews)} ${fmtNum(r.medianReviewSeconds, 1)}`));
  });

  it('anomaly results are those of audit-ws anomalies --json, and the PDF shows every count', () => {
    const r = cli(['anomalies', '--case', 'Demo report', '--json']);
    const cliJson = JSON.parse(r.stdout);
    expect(withoutTimings(report.anomalies.results)).toEqual(withoutTimings(cliJson));
    for (const a of cliJson) shows(`${a.title} ${fmtInt(a.total)} hit`);
    expect(cliJson.some((a: { total: number }) => a.total > 0)).toBe(true);
  });

  it('fairness is that of audit-ws fairness --json with the same parameters, and the PDF shows each group', () => {
    const cliJson = JSON.parse(
      cli([
        'fairness',
        '--case',
        'Demo report',
        '--attribute',
        'inputFeatures.group',
        '--positive-prediction',
        'approve',
        '--model',
        'credit-limit-scorer',
        '--json',
      ]).stdout,
    );
    expect(withoutTimings(report.fairness.analyses[0].result)).toEqual(withoutTimings(cliJson));
    for (const g of cliJson.groups) {
      const ci = g.ci.selectionRate;
      shows(`${fmtInt(g.n)} ${fmtPct(g.selectionRate)} ${fmtPct(ci[0])}–${fmtPct(ci[1])} ${fmtNum(g.disparateImpact)}`);
    }
    // the planted disparity (credit-limit-scorer 2.1.0, group C) is flagged
    const v = cliJson.byModelVersion.find((x: { modelVersion: string }) => x.modelVersion === '2.1.0');
    expect(v.groups.find((g: { group: string }) => g.group === 'C').flags).toContain('fails-four-fifths');
    shows('Selection-rate disparity by inputFeatures.group');
  });

  it('the annotated decision has its timeline, equal to audit-ws timeline --json', () => {
    const t = report.timelines.timelines.find((x: { subject: { id: string } }) => x.subject.id === annotated);
    expect(t).toBeDefined();
    const cliJson = JSON.parse(cli(['timeline', '--case', 'Demo report', '--decision', annotated, '--json']).stdout);
    expect(withoutTimings(t)).toEqual(withoutTimings(cliJson));
    shows(`Decision ${annotated}`);
    shows('check the <b>income</b> figure');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('check the &#60;b&#62;income&#60;/b&#62; figure');
  });

  it('record-keeping shares and the integrity attestation are shown as findings.json holds them', () => {
    for (const f of report.recordKeeping.fields) {
      const row = new RegExp(
        `${f.member} (yes|no) [0-9(), a-c]*? ${fmtInt(f.present)} ${fmtPct(f.share).replace('.', '\\.')}`,
      );
      expect(row.test(pdfText), `record-keeping row of ${f.member}`).toBe(true);
    }
    expect(report.integrity.run.verdict).toBe('intact');
    shows('Verdict: INTACT');
    for (const c of report.integrity.checks) {
      const counts = `${fmtInt(c.pass)} ${fmtInt(c.fail)} ${fmtInt(c.warn)} ${fmtInt(c.unverifiable)}`;
      // a check with a title shows it above its id; one without shows the id alone
      shows(c.title === c.id ? `${c.id} ${counts}` : `${counts} ${c.id}`);
    }
    expect(report.integrity.trusted[0]).toMatchObject({ what: 'checkpoint signer' });
    expect(report.integrity.checkpoints.length).toBeGreaterThan(10);
    expect(report.integrity.checkpoints.every((c: { signerPinned: boolean }) => c.signerPinned)).toBe(true);
  });

  it('the integrity attestation lists every time-stamp: genTime (the checkpoint createdAt) and the TSA', () => {
    expect(report.integrity.trusted).toContainEqual(
      expect.objectContaining({
        what: 'TSA trust anchor',
        detail: expect.stringContaining('audit-ws DEMO TSA Root - TEST ONLY'),
        source: expect.stringContaining('src/demo/demo-tsa-root.pem (supplied by the investigator)'),
      }),
    );
    const cps = report.integrity.checkpoints as {
      path: string;
      status: string;
      createdAt: string;
      timestamped: boolean;
      genTime?: string;
      tsa?: string;
    }[];
    expect(cps.length).toBeGreaterThan(10);
    for (const c of cps) {
      expect(c, c.path).toMatchObject({ status: 'pass', timestamped: true, tsa: 'CN=audit-ws DEMO TSA - TEST ONLY' });
      expect(c.genTime).toBe(new Date(c.createdAt).toISOString());
      shows(fmtTime(c.genTime));
    }
    expect(report.integrity.checks.find((c: { id: string }) => c.id === 'checkpoint-timestamp')).toMatchObject({
      pass: cps.length,
      fail: 0,
      warn: 0,
      unverifiable: 0,
    });
    shows('Time-stamped (genTime, TSA)');
  });

  it('the appendix lists every input file with its SHA-256, and the report data digest recomputes', () => {
    const stripped = pdfText.replace(/\s+/g, '');
    for (const f of report.appendix.inputFiles) expect(stripped).toContain(f.sha256);
    const plain = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8'));
    const claimed = plain.appendix.reportDataSha256;
    delete plain.appendix.reportDataSha256;
    expect(sha256Hex(canonicalize(dropNullMembers(plain) as never)!)).toBe(claimed);
    expect(stripped).toContain(claimed);
    expect(report.appendix.custody.intact).toBe(true);
  });

  it('records the report in the custody log', () => {
    const j = JSON.parse(cli(['custody', '--case', 'Demo report', '--verify', '--json']).stdout);
    const last = j.entries[j.entries.length - 1];
    expect(last.action).toBe('report.written');
    expect(last.details.reportDataSha256).toBe(report.appendix.reportDataSha256);
    expect(j.verification.intact).toBe(true);
  });
});
