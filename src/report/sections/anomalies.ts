/**
 * Anomalies: every registered anomaly filter (src/query/anomalies) run with its default parameters,
 * exactly as `audit-ws anomalies --json` runs it, so the counts here are the CLI's. In package scope
 * the hits listed are those of the selected decisions only (from the first 1,000 hits of each filter);
 * the totals and summaries still cover the whole case.
 */
import { ANOMALY_FILTERS, runAnomalies, runAnomaly } from '../../query/anomalies/index.ts';
import type { AnomalyResult } from '../../query/anomalies/index.ts';
import { MAX_PAGE_SIZE } from '../../query/db.ts';
import type { ReportContext } from '../context.ts';
import { inScope } from '../context.ts';
import { barChart } from '../charts.ts';
import { badge, fmtInt, fmtTime, html, join, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';

export interface AnomaliesData {
  results: AnomalyResult[];
  /** Package scope: hits may be listed only from this many first hits of each filter. */
  scopedFromFirst?: number;
}

export async function collectAnomalies(ctx: ReportContext): Promise<AnomaliesData> {
  if (!ctx.scope) return { results: await runAnomalies(ctx.query) };
  const results: AnomalyResult[] = [];
  for (const filter of ANOMALY_FILTERS) {
    const r = await runAnomaly(ctx.query, filter, {}, {}, { limit: MAX_PAGE_SIZE });
    const items = r.items.filter((i) =>
      typeof i.item.decisionId === 'string' ? inScope(ctx, i.item.decisionId) : filter.subject === 'hour',
    );
    results.push({ ...r, items, limit: items.length });
  }
  return ctx.scope ? { results, scopedFromFirst: MAX_PAGE_SIZE } : { results };
}

function paramsText(p: AnomalyResult['params']): string {
  const parts = Object.entries(p).map(([k, v]) => `${k} = ${v === null ? 'none' : String(v)}`);
  return parts.length ? parts.join(', ') : 'no parameters';
}

function summaryText(r: AnomalyResult): string {
  return r.summary
    .slice(0, 6)
    .map((s) => {
      const { hits, ...by } = s;
      return `${Object.values(by)
        .map((v) => (v === null ? '(none)' : String(v)))
        .join(' / ')}: ${fmtInt(Number(hits))}`;
    })
    .join('; ');
}

export function renderAnomalies(d: AnomaliesData, n: number, maxRows: number): Html {
  const withHits = d.results.filter((r) => r.total > 0);
  return html`<section id="anomalies">
    <h2>${n}. Anomalies</h2>
    <p>
      Each filter below flags one kind of irregularity, explained in one sentence, with the parameters used (the
      defaults unless stated). ${withHits.length} of ${d.results.length} filters flag
      something.${d.scopedFromFirst ? ` Hits are listed only for the decisions in this package (looked for among the first ${fmtInt(d.scopedFromFirst)} hits of each filter); the counts cover the whole case.` : ''}
    </p>
    ${barChart(
      d.results.map((r) => ({ label: r.title, value: r.total, flagged: r.total > 0 })),
      { format: (v) => fmtInt(v), title: 'Hits per anomaly filter (whole case)' },
    )}
    ${join(
      d.results.map(
        (r) =>
          html`<div class="anomaly">
            <h3>
              ${r.title} ${badge(`${fmtInt(r.total)} hit${r.total === 1 ? '' : 's'}`, r.total > 0 ? 'warn' : 'ok')}
            </h3>
            <p>${r.explanation}</p>
            <p class="muted">
              Filter <code>${r.id}</code>; ${paramsText(r.params)}. Integrity of the flagged rows:
              ${r.integrity.status}${r.integrity.failed ? `, ${fmtInt(r.integrity.failed)} failed verification` : ''}${r.integrity.notVerified ? `, ${fmtInt(r.integrity.notVerified)} not verified` : ''}.${r.summary.length ? ` Most hits: ${summaryText(r)}.` : ''}
            </p>
            ${
              r.total > 0
                ? table(
                    [
                      {
                        head: 'When',
                        cell: (i) => fmtTime(typeof i.item.at === 'string' ? i.item.at : null),
                        width: '20%',
                      },
                      {
                        head: 'Record',
                        cell: (i) => String(i.item.decisionId ?? i.item.eventId ?? i.item.hour ?? '–'),
                        cls: 'mono nowrap',
                      },
                      { head: 'Why flagged', cell: (i) => i.reason, cls: 'wrap' },
                      {
                        head: 'Source',
                        cell: (i) =>
                          i.ref?.sourceFile
                            ? `${i.ref.sourceFile}${i.ref.line ? `:${i.ref.line}` : i.ref.row ? ` row ${i.ref.row}` : ''}`
                            : '–',
                        cls: 'wrap small',
                      },
                      {
                        head: 'Integrity',
                        cell: (i) =>
                          i.integrity
                            ? badge(
                                i.integrity.status,
                                i.integrity.status === 'passed'
                                  ? 'ok'
                                  : i.integrity.status === 'failed'
                                    ? 'bad'
                                    : 'warn',
                              )
                            : '–',
                      },
                    ],
                    r.items.slice(0, maxRows),
                    { empty: d.scopedFromFirst ? 'None of the selected decisions is among the hits.' : 'None.' },
                  )
                : ''
            }
            ${r.items.length > maxRows ? html`<p class="muted">${fmtInt(r.items.length - maxRows)} more hits on this page of the query and ${fmtInt(Math.max(0, r.total - r.items.length))} beyond it: export them with <code>audit-ws export anomalies --param filter=${r.id}</code>.</p>` : r.total > r.items.length && !d.scopedFromFirst ? html`<p class="muted">${fmtInt(r.total - r.items.length)} more hits: export them with <code>audit-ws export anomalies --param filter=${r.id}</code>.</p>` : ''}
          </div>`,
      ),
    )}
  </section>`;
}
