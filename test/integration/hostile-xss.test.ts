// HTML and script in every string an archive can carry, through import, verification, an annotation
// and the written report: the report shows each as text and holds no markup that came from the data.
// test/unit/report-html.test.ts checks the escaper and the template helpers one by one; this checks the
// whole report of a real case built from a generated hostile archive (test/fuzz/xss-archive.ts). The
// screens are checked in Chromium by test/e2e/hostile-xss.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/case/workspace.ts';
import { addAnnotation } from '../../src/contract/annotations.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { importArchives } from '../../src/import/importer.ts';
import { esc } from '../../src/report/html-kit.ts';
import { writeReport } from '../../src/report/write.ts';
import {
  ANNOTATION_TAG,
  ANNOTATION_TEXT,
  CASE_NAME,
  MODEL_A,
  MODEL_B,
  PAYLOADS,
  writeXssArchive,
} from '../fuzz/xss-archive.ts';

let tmp: string;
let html: string;
let findings: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-hostile-xss-'));
  const archive = join(tmp, 'archive');
  const { decisionIds } = await writeXssArchive(archive);
  const handle = await new Workspace(join(tmp, 'ws')).create(CASE_NAME, { actor: `Ada ${PAYLOADS.img}` });
  try {
    const imported = await importArchives(handle, [archive]);
    expect(imported.status).toBe('done');
    expect(imported.rejects).toEqual([]);
    expect(imported.counts.records).toBe(40);
    await verifyCase(handle, {
      ...DEFAULT_VERIFY_OPTIONS,
      trustKeyFiles: readdirSync(join(archive, 'keys')).map((k) => join(archive, 'keys', k)),
    });
    addAnnotation(handle, {
      target: `decision:${decisionIds[0]}`,
      text: ANNOTATION_TEXT,
      tags: [ANNOTATION_TAG],
      starred: true,
    });
    await writeReport(handle, { outDir: join(tmp, 'report'), formats: ['html', 'json'] });
  } finally {
    await handle.close();
  }
  html = readFileSync(join(tmp, 'report/report.html'), 'utf8');
  findings = readFileSync(join(tmp, 'report/findings.json'), 'utf8');
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a report of a case whose archive is full of markup', () => {
  it('holds no script, no element and no attribute that came from the data', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img|<iframe|<object|<embed|<textarea|<title>[^<]*<\/title>[^<]*<script/i);
    // no event-handler attribute anywhere, no javascript: link
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/(href|src|action)\s*=\s*["']?\s*javascript:/i);
    // the report's own stylesheet is the only one
    expect(html.match(/<style/gi)?.length).toBe(1);
    // none of the payloads is there as written
    for (const p of Object.values(PAYLOADS).filter((x) => /[<>"']/.test(x))) expect(html).not.toContain(p);
  });

  it('shows the hostile strings as text: escaped where the report names them', () => {
    for (const shown of [
      CASE_NAME,
      MODEL_A,
      MODEL_B,
      `system ${PAYLOADS.script}`,
      `Ada ${PAYLOADS.img}`,
      `actor ${PAYLOADS.img}`,
    ])
      expect(html, shown).toContain(esc(shown));
  });

  it('keeps the strings intact in findings.json (data, not markup)', () => {
    const data = JSON.parse(findings) as { cover: { caseName: string } };
    expect(data.cover.caseName).toBe(CASE_NAME);
    expect(findings).toContain(JSON.stringify(MODEL_A).slice(1, -1));
  });
});
