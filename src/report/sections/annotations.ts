/** The investigator's annotations (starred first); in package scope only those on the selected decisions. */
import { listAnnotations } from '../../case/annotations.ts';
import type { Annotation } from '../../case/annotations.ts';
import type { ReportContext } from '../context.ts';
import { fmtInt, fmtTime, html, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';

export interface AnnotationsData {
  total: number;
  /** Left out in package scope because they concern other records. */
  outOfScope: number;
  listed: Annotation[];
}

export function decisionOfTarget(target: string): string | undefined {
  return target.startsWith('decision:') ? target.slice('decision:'.length) : undefined;
}

export function collectAnnotations(ctx: ReportContext): AnnotationsData {
  const all = listAnnotations(ctx.handle.sqlite).sort((a, b) => Number(b.starred) - Number(a.starred) || a.id - b.id);
  const visible = ctx.scope ? all.filter((a) => ctx.scope!.has(decisionOfTarget(a.target) ?? '\u0000')) : all;
  return { total: all.length, outOfScope: all.length - visible.length, listed: visible };
}

export function renderAnnotations(d: AnnotationsData, n: number): Html {
  return html`<section id="annotations">
    <h2>${n}. Annotations</h2>
    <p>
      ${fmtInt(d.listed.length)} annotation${d.listed.length === 1 ? '' : 's'} by the
      investigator${d.outOfScope ? ` (${fmtInt(d.outOfScope)} more concern records outside this package and are not shown)` : ''}.
      Every annotation, its change and its deletion is also in the custody log.
    </p>
    ${table(
      [
        { head: '★', cell: (a) => (a.starred ? '★' : ''), width: '4%' },
        { head: 'Record', cell: (a) => a.target, cls: 'mono' },
        { head: 'Note', cell: (a) => a.text || '–', cls: 'wrap' },
        { head: 'Tags', cell: (a) => a.tags.join(', ') || '–' },
        { head: 'By, when', cell: (a) => html`${a.actor}<br /><span class="muted">${fmtTime(a.createdAt)}</span>` },
      ],
      d.listed,
      { empty: 'No annotations.' },
    )}
  </section>`;
}
