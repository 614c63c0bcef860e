/**
 * Charts as inline SVG, drawn from numbers the report data already holds (a chart never computes a
 * figure of its own). Sized in CSS pixels for an A4 page; labels go through the same escaping as all
 * other text. Colours are few and carry meaning: the accent for values, grey for context, red for a
 * value outside a stated band.
 */
import { Html, html, join } from './html-kit.ts';

const ACCENT = '#2b5c8a';
const MUTED = '#9aa7b4';
const ALERT = '#b3261e';
/** A fixed attribute of the template, never data. */
const FONT = new Html('font-family="Helvetica, Arial, sans-serif"');

export interface Bar {
  label: string;
  value: number | null;
  /** Lower and upper end of an interval drawn as a whisker. */
  low?: number | null;
  high?: number | null;
  /** Drawn in the alert colour. */
  flagged?: boolean;
  /** Text after the bar (defaults to the formatted value). */
  note?: string;
}

/**
 * Horizontal bars, one per category, with optional interval whiskers and vertical reference lines
 * (e.g. the 0.8 and 1.25 band of the four-fifths rule).
 */
export function barChart(
  bars: readonly Bar[],
  options: {
    max?: number;
    format: (v: number) => string;
    refs?: { at: number; label: string }[];
    title: string;
    width?: number;
  },
): Html {
  const width = options.width ?? 640;
  const labelW = 210;
  const noteW = 70;
  const rowH = 20;
  const top = options.refs?.length ? 18 : 6;
  const plotW = width - labelW - noteW;
  const values = bars.flatMap((b) => [b.value ?? 0, b.high ?? 0]);
  const max = options.max ?? Math.max(1e-9, ...values, ...(options.refs ?? []).map((r) => r.at));
  const x = (v: number): number => labelW + Math.max(0, Math.min(1, v / max)) * plotW;
  const height = top + bars.length * rowH + 6;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const colour = b.flagged ? ALERT : ACCENT;
    const bar =
      b.value === null
        ? html`<text x="${labelW + 4}" y="${y + 14}" font-size="10" fill="${MUTED}" ${FONT}>no data</text>`
        : html`<rect
            x="${labelW}"
            y="${y + 4}"
            width="${Math.max(0.5, x(b.value) - labelW).toFixed(1)}"
            height="${rowH - 8}"
            fill="${colour}"
            opacity="0.85"
          />`;
    const whisker =
      b.low !== undefined && b.low !== null && b.high !== undefined && b.high !== null
        ? html`<line
              x1="${x(b.low).toFixed(1)}"
              x2="${x(b.high).toFixed(1)}"
              y1="${y + rowH / 2}"
              y2="${y + rowH / 2}"
              stroke="#222"
              stroke-width="1"
            /><line
              x1="${x(b.low).toFixed(1)}"
              x2="${x(b.low).toFixed(1)}"
              y1="${y + 6}"
              y2="${y + rowH - 6}"
              stroke="#222"
            /><line
              x1="${x(b.high).toFixed(1)}"
              x2="${x(b.high).toFixed(1)}"
              y1="${y + 6}"
              y2="${y + rowH - 6}"
              stroke="#222"
            />`
        : html``;
    const note = b.note ?? (b.value === null ? '' : options.format(b.value));
    return html`<text x="${labelW - 6}" y="${y + 14}" font-size="10" text-anchor="end" ${FONT}
        >${truncate(b.label, 38)}</text
      >${bar}${whisker}<text x="${width - noteW + 6}" y="${y + 14}" font-size="10" ${FONT}>${note}</text>`;
  });
  const refs = (options.refs ?? []).map(
    (r) =>
      html`<line
          x1="${x(r.at).toFixed(1)}"
          x2="${x(r.at).toFixed(1)}"
          y1="${top - 4}"
          y2="${height - 4}"
          stroke="${MUTED}"
          stroke-dasharray="3,3"
        /><text x="${x(r.at).toFixed(1)}" y="${top - 7}" font-size="9" text-anchor="middle" fill="#555" ${FONT}
          >${r.label}</text
        >`,
  );
  return html`<figure class="chart">
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width="${width}"
      height="${height}"
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="${options.title}"
    >
      ${join(rows)}${join(refs)}
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`;
}

export interface SeriesPoint {
  label: string;
  value: number;
  /** A second value drawn as a line over the bars (e.g. a rate). */
  rate?: number | null;
}

/** Vertical bars over time (counts), with an optional rate drawn as a line on a 0..1 scale. */
export function timeBars(
  points: readonly SeriesPoint[],
  options: { title: string; rateLabel?: string; width?: number; height?: number },
): Html {
  const width = options.width ?? 640;
  const height = options.height ?? 170;
  const left = 44;
  const right = options.rateLabel ? 40 : 10;
  const top = 10;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = points.length > 0 ? plotW / points.length : plotW;
  const barW = Math.max(1, step * 0.75);
  const bars = points.map((p, i) => {
    const h = (p.value / max) * plotH;
    return html`<rect
      x="${(left + i * step + (step - barW) / 2).toFixed(1)}"
      y="${(top + plotH - h).toFixed(1)}"
      width="${barW.toFixed(1)}"
      height="${h.toFixed(1)}"
      fill="${ACCENT}"
      opacity="0.8"
    />`;
  });
  const every = Math.max(1, Math.ceil(points.length / 10));
  const labels = points.map((p, i) =>
    i % every === 0
      ? html`<text
          x="${(left + i * step + step / 2).toFixed(1)}"
          y="${height - bottom + 14}"
          font-size="9"
          text-anchor="middle"
          ${FONT}
          >${truncate(p.label, 10)}</text
        >`
      : html``,
  );
  const ratePts = points
    .map((p, i) =>
      p.rate === undefined || p.rate === null
        ? null
        : `${(left + i * step + step / 2).toFixed(1)},${(top + plotH - p.rate * plotH).toFixed(1)}`,
    )
    .filter((s): s is string => s !== null);
  const rateLine =
    options.rateLabel && ratePts.length > 1
      ? html`<polyline points="${ratePts.join(' ')}" fill="none" stroke="${ALERT}" stroke-width="1.5" />`
      : html``;
  const axes = html`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#444" /><line
      x1="${left}"
      x2="${width - right}"
      y1="${top + plotH}"
      y2="${top + plotH}"
      stroke="#444"
    /><text x="${left - 4}" y="${top + 8}" font-size="9" text-anchor="end" ${FONT}>${max.toLocaleString('en-US')}</text
    ><text x="${left - 4}" y="${top + plotH}" font-size="9" text-anchor="end" ${FONT}>0</text>`;
  const rateAxis = options.rateLabel
    ? html`<text x="${width - right + 4}" y="${top + 8}" font-size="9" fill="${ALERT}" ${FONT}>100%</text
        ><text x="${width - right + 4}" y="${top + plotH}" font-size="9" fill="${ALERT}" ${FONT}>0%</text>`
    : html``;
  const legend = options.rateLabel
    ? html`<text x="${width - right}" y="${height - 4}" font-size="9" text-anchor="end" fill="${ALERT}" ${FONT}
        >line: ${options.rateLabel}</text
      >`
    : html``;
  return html`<figure class="chart">
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width="${width}"
      height="${height}"
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="${options.title}"
    >
      ${axes}${join(bars)}${rateLine}${rateAxis}${join(labels)}${legend}
    </svg>
    <figcaption>${options.title}</figcaption>
  </figure>`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
