/**
 * The one HTML template of the report: a self-contained page (inline CSS and SVG, no scripts, no
 * external resources) that prints to A4. Print rules: every main section starts a page, table headers
 * repeat on each page (thead as table-header-group), rows, figures and callouts are never split, and
 * page numbers ("Page n of m") come from the PDF footer template (pdf.ts; Electron's printToPDF takes
 * the same template), not from CSS margin boxes, so that no renderer prints them twice.
 */
import type { ReportData } from './assemble.ts';
import { html, join } from './html-kit.ts';
import type { Html } from './html-kit.ts';
import { renderAnnotations } from './sections/annotations.ts';
import { renderAnomalies } from './sections/anomalies.ts';
import { renderAppendix } from './sections/appendix.ts';
import { renderCover } from './sections/cover.ts';
import { renderFairness } from './sections/fairness.ts';
import { renderIntegrity } from './sections/integrity.ts';
import { renderMethodology } from './sections/methodology.ts';
import { renderOversight } from './sections/oversight.ts';
import { renderRecordKeeping } from './sections/record-keeping.ts';
import { renderSummary } from './sections/summary.ts';
import { renderTimelines } from './sections/timelines.ts';

export const REPORT_CSS = `
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 9.5pt/1.45 Helvetica, Arial, sans-serif; color: #1b1b1b; margin: 0; }
main { max-width: 182mm; margin: 0 auto; }
h1 { font-size: 24pt; margin: 0 0 6pt; line-height: 1.15; }
h2 { font-size: 15pt; margin: 0 0 8pt; padding-bottom: 3pt; border-bottom: 2px solid #2b5c8a; color: #16324d; }
h3 { font-size: 11pt; margin: 14pt 0 5pt; color: #16324d; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
section { break-before: page; page-break-before: always; }
section.cover, section.toc { break-before: auto; page-break-before: auto; }
section.cover { min-height: 120mm; padding-top: 30mm; }
.kicker { text-transform: uppercase; letter-spacing: .12em; color: #2b5c8a; font-weight: bold; font-size: 9pt; margin: 0; }
.lead { font-size: 12pt; color: #333; }
.scope { border-left: 3px solid #b26a00; padding: 4pt 8pt; background: #fff6e5; }
p { margin: 0 0 6pt; orphans: 3; widows: 3; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8pt; }
.break { overflow-wrap: anywhere; word-break: break-all; }
.muted { color: #5b6670; }
.empty { color: #5b6670; font-style: italic; }
table { width: 100%; border-collapse: collapse; margin: 4pt 0 10pt; font-size: 8.3pt; table-layout: auto; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
tr, img, svg, figure, .callout, .headline, dl.facts { break-inside: avoid; page-break-inside: avoid; }
th { text-align: left; background: #e9eef3; color: #16324d; font-weight: bold; padding: 3pt 4pt; border-bottom: 1px solid #9aa7b4; vertical-align: bottom; }
td { padding: 2.5pt 4pt; border-bottom: 1px solid #dde3e8; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.wrap { overflow-wrap: anywhere; }
td.mono { overflow-wrap: anywhere; }
td.hashcol { font-size: 6pt; white-space: nowrap; letter-spacing: -0.02em; }
td.nowrap, th.nowrap { white-space: nowrap; }
table.small { font-size: 7.6pt; }
td.small { font-size: 7.4pt; }
caption { text-align: left; font-weight: bold; padding-bottom: 3pt; }
dl.facts { display: grid; grid-template-columns: 46mm 1fr; gap: 2pt 8pt; margin: 6pt 0 10pt; }
dl.facts dt { font-weight: bold; color: #333; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 4pt; border-radius: 3pt; font-size: 7.5pt; font-weight: bold; line-height: 1.5; white-space: nowrap; }
.badge.ok { background: #e3f1e6; color: #1d5e2c; }
.badge.warn { background: #fff0d1; color: #7a4b00; }
.badge.bad { background: #fbe3e1; color: #8c1d18; }
.badge.info { background: #e6edf5; color: #2b4a6b; }
.callout { border-left: 4px solid #9aa7b4; padding: 5pt 8pt; background: #f4f6f8; margin: 6pt 0 10pt; overflow-wrap: anywhere; }
.callout.ok { border-color: #2e7d43; background: #eef7f0; }
.callout.warn { border-color: #c77c00; background: #fff7e6; }
.callout.bad { border-color: #b3261e; background: #fdeeed; }
.headline { border-left: 4px solid #9aa7b4; padding: 4pt 8pt; margin: 0 0 6pt; background: #f7f8fa; }
.headline.ok { border-color: #2e7d43; } .headline.warn { border-color: #c77c00; } .headline.bad { border-color: #b3261e; }
.hl-title { font-weight: bold; margin-bottom: 1pt; }
.hl-detail { color: #333; overflow-wrap: anywhere; }
.hl-detail a { color: #2b5c8a; text-decoration: none; font-size: 8pt; }
figure.chart { margin: 6pt 0 10pt; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 8pt; color: #5b6670; margin-top: 2pt; }
.toc ol { padding-left: 14pt; } .toc li { margin: 2pt 0; } .toc a { color: #1b1b1b; text-decoration: none; }
.anomaly, .timeline, .fairness-analysis { margin-bottom: 12pt; }
ul { margin: 0 0 6pt 14pt; padding: 0; }
@media screen { body { background: #f0f2f5; } main { background: #fff; padding: 16mm 14mm; margin: 12px auto; box-shadow: 0 1px 4px rgba(0,0,0,.15); } section { margin-top: 18mm; } }
`;

const TOC: readonly [string, string][] = [
  ['summary', 'Executive summary'],
  ['integrity', 'Integrity attestation'],
  ['record-keeping', 'Record-keeping coverage (EU AI Act Art. 12, 19, 26(6))'],
  ['oversight', 'Human oversight'],
  ['anomalies', 'Anomalies'],
  ['fairness', 'Fairness'],
  ['timelines', 'Selected decision timelines'],
  ['annotations', 'Annotations'],
  ['methodology', 'Methodology and limits'],
  ['appendix', 'Appendix: input files, report data, custody log'],
];

export function renderReportHtml(d: ReportData): string {
  const maxRows = 25;
  const body: Html = html`<main>
    ${renderCover(d.cover)}
    <section class="toc">
      <h3>Contents</h3>
      <ol>
        ${join(TOC.map(([id, title]) => html`<li><a href="#${id}">${title}</a></li>`))}
      </ol>
    </section>
    ${renderSummary(d.summary, d.cover)} ${renderIntegrity(d.integrity)} ${renderRecordKeeping(d.recordKeeping)}
    ${renderOversight(d.oversight, 4)} ${renderAnomalies(d.anomalies, 5, maxRows)} ${renderFairness(d.fairness, 6)}
    ${renderTimelines(d.timelines, 7)} ${renderAnnotations(d.annotations, 8)} ${renderMethodology(d.methodology, 9)}
    ${renderAppendix(d.appendix, 10)}
  </main>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${html`AI audit report: ${d.cover.caseName}`.markup}</title>
<style>${REPORT_CSS}</style></head>
<body>${body.markup}</body></html>
`;
}
