/**
 * The small vocabulary the report template is written in. Every piece of text that reaches the HTML
 * goes through `esc` (or `text`), so a value from an archive such as `<script>` or `"><img onerror=…>`
 * is shown, never run: the template builds markup only from its own literals. Numbers are formatted in
 * one place so the PDF and findings.json say the same thing the same way.
 */

/** The one HTML escaper: text content and attribute values alike. */
export function esc(value: unknown): string {
  const s = value === null || value === undefined ? '' : typeof value === 'string' ? value : String(value);
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup built by the template; raw strings from data never become Html. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

export type Child = Html | string | number | null | undefined | false | readonly Child[];

function render(child: Child): string {
  if (child === null || child === undefined || child === false) return '';
  if (child instanceof Html) return child.markup;
  if (Array.isArray(child)) return (child as readonly Child[]).map(render).join('');
  return esc(child);
}

/** Tagged template: interpolated values are escaped unless they are Html built by the template. */
export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

export function join(children: readonly Child[], sep: Child = ''): Html {
  const parts = children.map(render).filter((s) => s !== '');
  return new Html(parts.join(render(sep)));
}

/** Whole numbers with thousands separators: 12,345. */
export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** A share 0..1 as a percentage with one decimal: 42.3%. */
export function fmtPct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/** A ratio or rate with three decimals: 0.812. */
export function fmtNum(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

/** Milliseconds as the unit a reader expects: 850 ms, 12.4 s, 3.2 min. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A time as UTC, to the second: 2026-03-01 14:05:09 UTC. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/** A hash shortened for a table cell, the full value kept in the title for anyone hovering. */
export function shortHash(h: string | null | undefined, n = 16): Html {
  if (!h) return html`–`;
  return html`<span class="hash" title="${h}">${h.length > n ? `${h.slice(0, n)}…` : h}</span>`;
}

export interface Column<T> {
  head: string;
  cell: (row: T) => Child;
  /** CSS classes of the cells: 'num' right-aligns with tabular figures, 'mono', 'wrap', 'small'. */
  cls?: string;
  width?: string;
}

/**
 * A table whose header repeats on every printed page (thead is a table-header-group) and whose rows
 * are never split across pages (tr break-inside: avoid, in the print CSS).
 */
export function table<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  options: { caption?: string; empty?: string; cls?: string } = {},
): Html {
  if (rows.length === 0) return html`<p class="empty">${options.empty ?? 'None.'}</p>`;
  // Header cells take the alignment of their column, not its typeface.
  const headCls = (c: Column<T>): string =>
    (c.cls ?? '')
      .split(' ')
      .filter((k) => k === 'num' || k === 'nowrap')
      .join(' ');
  const head = columns.map(
    (c) => html`<th class="${headCls(c)}" ${c.width ? html` style="width:${c.width}"` : ''}>${c.head}</th>`,
  );
  const body = rows.map(
    (r) =>
      html`<tr>
        ${columns.map((c) => html`<td class="${c.cls ?? ''}">${c.cell(r)}</td>`)}
      </tr>`,
  );
  return html`<table class="${options.cls ?? ''}">
    ${
      options.caption
        ? html`<caption>
            ${options.caption}
          </caption>`
        : ''
    }
    <thead>
      <tr>
        ${head}
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
}

/** A labelled fact list (definition list laid out as two columns). */
export function facts(items: readonly (readonly [string, Child])[]): Html {
  return html`<dl class="facts">
    ${items.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info';

export function badge(label: string, tone: Tone): Html {
  return html`<span class="badge ${tone}">${label}</span>`;
}

export function toneOfStatus(status: string): Tone {
  if (status === 'pass' || status === 'intact' || status === 'passed') return 'ok';
  if (status === 'fail' || status === 'tampered' || status === 'failed' || status === 'incomplete') return 'bad';
  if (status === 'warn' || status === 'unanchored' || status === 'warning' || status === 'unverifiable') return 'warn';
  return 'info';
}
