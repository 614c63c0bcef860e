import { describe, expect, it } from 'vitest';
import { barChart, timeBars } from '../../src/report/charts.ts';
import { REPORT_CSS } from '../../src/report/document.ts';
import { esc, fmtInt, fmtMs, fmtNum, fmtPct, fmtTime, html, table } from '../../src/report/html-kit.ts';
import { renderAnnotations } from '../../src/report/sections/annotations.ts';
import { detailsText, renderAppendix } from '../../src/report/sections/appendix.ts';
import { renderCover } from '../../src/report/sections/cover.ts';
import type { CoverData } from '../../src/report/sections/cover.ts';

const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert(2)">'&"\``;

function assertInert(markup: string): void {
  expect(markup).not.toMatch(/<script/i);
  expect(markup).not.toMatch(/<img/i);
  expect(markup).not.toMatch(/onerror="/i);
}

describe('report text is escaped, never markup from data', () => {
  it('esc turns every markup character into a reference', () => {
    expect(esc(HOSTILE)).toBe(
      '&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=&#34;alert(2)&#34;&#62;&#39;&#38;&#34;&#96;',
    );
    expect(esc(null)).toBe('');
    expect(esc(12)).toBe('12');
  });

  it('the html tag escapes interpolated values but keeps template markup and nested Html', () => {
    const inner = html`<b>${HOSTILE}</b>`;
    const out = html`<p title="${HOSTILE}">${inner}${[HOSTILE, 3]}</p>`.markup;
    assertInert(out);
    expect(out.startsWith('<p title="&#60;script')).toBe(true);
    expect(out).toContain('<b>&#60;script');
  });

  it('tables, charts and sections escape cell text, labels and titles', () => {
    assertInert(table([{ head: HOSTILE, cell: (r: string) => r }], [HOSTILE]).markup);
    assertInert(
      barChart([{ label: HOSTILE, value: 0.5, note: HOSTILE }], {
        max: 1,
        format: String,
        title: HOSTILE,
        refs: [{ at: 0.8, label: HOSTILE }],
      }).markup,
    );
    assertInert(timeBars([{ label: HOSTILE, value: 3, rate: 0.5 }], { title: HOSTILE, rateLabel: HOSTILE }).markup);
    const annotations = renderAnnotations(
      {
        total: 1,
        outOfScope: 0,
        listed: [
          {
            id: 1,
            createdAt: '2026-03-01T00:00:00Z',
            actor: HOSTILE,
            target: `decision:${HOSTILE}`,
            text: HOSTILE,
            tags: [HOSTILE],
            starred: true,
          },
        ],
      },
      8,
    ).markup;
    assertInert(annotations);
    expect(annotations).toContain('&#60;img src=x');
    const cover: CoverData = {
      caseName: HOSTILE,
      caseSlug: 'x',
      description: HOSTILE,
      caseCreatedAt: '2026-03-01T00:00:00Z',
      caseCreatedBy: HOSTILE,
      investigator: HOSTILE,
      generatedAt: '2026-03-02T00:00:00Z',
      tool: { name: 'audit-ws', version: '0' },
      scope: { kind: 'case' },
      archives: [
        {
          archive: HOSTILE,
          container: 'zip',
          system: HOSTILE,
          operator: HOSTILE,
          producer: HOSTILE,
          exportedAt: HOSTILE,
          dataFiles: 1,
          records: 2,
          bytes: 3,
        },
      ],
      systems: [HOSTILE],
      period: { from: null, to: null },
      records: { decision: 1, lifecycle: 0, review: 0, outcome: 0 },
    };
    assertInert(renderCover(cover).markup);
    const appendix = renderAppendix(
      {
        inputFiles: [{ archive: HOSTILE, path: HOSTILE, role: 'data', size: 1, sha256: 'a'.repeat(64), importId: 1 }],
        custody: {
          entries: [
            {
              seq: 0,
              at: '2026-03-01T00:00:00Z',
              actor: HOSTILE,
              action: HOSTILE,
              details: { t: HOSTILE },
              prevHash: '0'.repeat(64),
              hash: 'b'.repeat(64),
            },
          ],
          intact: false,
          problems: [{ seq: 0, message: HOSTILE }],
          headHash: null,
          withheld: 0,
        },
        reportDataSha256: 'c'.repeat(64),
        reportDataRule: HOSTILE,
      },
      10,
    ).markup;
    assertInert(appendix);
  });
});

describe('print layout', () => {
  it('repeats table headers, never splits rows, starts sections on a new page', () => {
    expect(REPORT_CSS).toMatch(/thead\s*\{\s*display:\s*table-header-group/);
    expect(REPORT_CSS).toMatch(/tr,[^{]*\{[^}]*break-inside:\s*avoid/);
    expect(REPORT_CSS).toMatch(/section\s*\{[^}]*break-before:\s*page/);
    expect(REPORT_CSS).toMatch(/@page\s*\{\s*size:\s*A4/);
    const t = table([{ head: 'a', cell: (r: number) => r, cls: 'num mono' }], [1, 2]).markup.replace(/>\s+</g, '><');
    expect(t).toMatch(
      /^<table class=""><thead><tr><th class="num"\s*>a<\/th><\/tr><\/thead><tbody><tr><td class="num mono">1<\/td><\/tr>/,
    );
  });
});

describe('number formats shared by the PDF and the tables', () => {
  it('formats integers, shares, ratios, durations and times the one way', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(null)).toBe('–');
    expect(fmtPct(0.98514)).toBe('98.5%');
    expect(fmtPct(Number.NaN)).toBe('–');
    expect(fmtNum(0.4749)).toBe('0.475');
    expect(fmtMs(850)).toBe('850 ms');
    expect(fmtMs(12_400)).toBe('12.4 s');
    expect(fmtMs(192_000)).toBe('3.2 min');
    expect(fmtTime('2026-03-01T14:05:09.123Z')).toBe('2026-03-01 14:05:09 UTC');
    expect(fmtTime('not a time')).toBe('not a time');
  });

  it('summarises custody details without dumping long lists', () => {
    const text = detailsText({
      seq: 1,
      at: '',
      actor: '',
      action: 'import.done',
      details: { importId: 1, files: [{ a: 1 }, { a: 2 }], options: { strict: false } },
      prevHash: '',
      hash: '',
    });
    expect(text).toBe('importId: 1; files: [2 items]; options: {strict: false}');
    expect(
      detailsText({
        seq: 1,
        at: '',
        actor: '',
        action: 'x',
        detailsWithheld: 'the details name records outside this package',
        prevHash: '',
        hash: '',
      }),
    ).toMatch(/withheld/);
  });
});
