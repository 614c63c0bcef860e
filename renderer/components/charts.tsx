// Small SVG charts drawn from data, styled by CSS classes (colours follow the theme). Each has a text
// alternative (a <title> and a visually hidden table is the caller's job where numbers matter).
import type { ReactNode } from 'react';

export interface Bar {
  label: string;
  value: number;
  /** Optional note shown at the end of the bar. */
  note?: string;
}

/** Horizontal bars around zero: positive to the right, negative to the left (feature attributions). */
export function BarChart({
  bars,
  title,
  format = (v) => v.toFixed(3),
}: {
  bars: Bar[];
  title: string;
  format?: (v: number) => string;
}) {
  const rowH = 26;
  // Labels are drawn at about 7 px a character (12 px text): room for the longest, within reason.
  const labelW = Math.min(300, Math.max(120, Math.max(...bars.map((b) => b.label.length)) * 7 + 12));
  const width = 720;
  const plotW = width - labelW - 70;
  const max = Math.max(1e-12, ...bars.map((b) => Math.abs(b.value)));
  const hasNegative = bars.some((b) => b.value < 0);
  const zeroX = labelW + (hasNegative ? plotW / 2 : 0);
  const scale = (hasNegative ? plotW / 2 : plotW) / max;
  const height = bars.length * rowH + 10;
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
      <title>{title}</title>
      <line x1={zeroX} x2={zeroX} y1={0} y2={height} className="axis" />
      {bars.map((b, i) => {
        const y = i * rowH + 5;
        const w = Math.abs(b.value) * scale;
        const x = b.value >= 0 ? zeroX : zeroX - w;
        return (
          <g key={b.label}>
            <text x={labelW - 8} y={y + rowH / 2 + 4} textAnchor="end" className="label">
              {b.label}
            </text>
            <rect
              x={x}
              y={y + 3}
              width={Math.max(1, w)}
              height={rowH - 8}
              className={b.value >= 0 ? 'bar pos' : 'bar neg'}
            >
              <title>{`${b.label}: ${format(b.value)}`}</title>
            </rect>
            <text
              x={b.value >= 0 ? x + w + 4 : x - 4}
              y={y + rowH / 2 + 4}
              textAnchor={b.value >= 0 ? 'start' : 'end'}
              className="value"
            >
              {b.note ?? format(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export interface RatioPoint {
  label: string;
  value: number | null;
  low?: number | null;
  high?: number | null;
  flagged?: boolean;
  reference?: boolean;
}

/** Ratios against a band (the four-fifths rule's 0.8-1.25): a dot per group, the band shaded. */
export function RatioChart({
  points,
  title,
  band = [0.8, 1.25],
}: {
  points: RatioPoint[];
  title: string;
  band?: [number, number];
}) {
  const rowH = 30;
  const labelW = 170;
  const width = 640;
  const plotW = width - labelW - 30;
  const values = points.flatMap((p) => [p.value, p.low, p.high]).filter((v): v is number => typeof v === 'number');
  const lo = Math.min(0.5, ...values);
  const hi = Math.max(1.5, ...values);
  const x = (v: number) => labelW + ((v - lo) / (hi - lo)) * plotW;
  const height = points.length * rowH + 34;
  const ticks = [lo, band[0], 1, band[1], hi].filter((v, i, a) => a.indexOf(v) === i);
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
      <title>{title}</title>
      <rect x={x(band[0])} y={0} width={x(band[1]) - x(band[0])} height={height - 24} className="band" />
      <line x1={x(1)} x2={x(1)} y1={0} y2={height - 24} className="axis" />
      {ticks.map((t) => (
        <text key={t} x={x(t)} y={height - 8} textAnchor="middle" className="tick">
          {t.toFixed(2)}
        </text>
      ))}
      {points.map((p, i) => {
        const y = i * rowH + rowH / 2 + 2;
        return (
          <g key={p.label}>
            <text x={labelW - 8} y={y + 4} textAnchor="end" className="label">
              {p.label}
              {p.reference ? ' (ref)' : ''}
            </text>
            {typeof p.low === 'number' && typeof p.high === 'number' && (
              <line x1={x(p.low)} x2={x(p.high)} y1={y} y2={y} className="whisker" />
            )}
            {typeof p.value === 'number' && (
              <circle cx={x(p.value)} cy={y} r={6} className={p.flagged ? 'dot flagged' : 'dot'}>
                <title>{`${p.label}: ${p.value.toFixed(3)}${p.flagged ? ' (outside the band)' : ''}`}</title>
              </circle>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export interface Series {
  name: string;
  points: { x: string; y: number | null }[];
}

/** Lines over time (x as ordered labels, e.g. weeks), with an optional shaded band. */
export function LineChart({
  series,
  title,
  band,
  format = (v) => v.toFixed(2),
}: {
  series: Series[];
  title: string;
  band?: [number, number];
  format?: (v: number) => string;
}) {
  const width = 720;
  const height = 200;
  const left = 48;
  const bottom = 26;
  const top = 10;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v): v is number => typeof v === 'number');
  let lo = Math.min(...ys, ...(band ?? []));
  let hi = Math.max(...ys, ...(band ?? []));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  const right = 40;
  const px = (i: number) =>
    left + (xs.length <= 1 ? (width - left - right) / 2 : (i / (xs.length - 1)) * (width - left - right));
  const py = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  const legend: ReactNode[] = series.map((s, i) => (
    <span key={s.name} className={`legend series-${i % 6}`}>
      <span aria-hidden="true">■ </span>
      {s.name}
    </span>
  ));
  return (
    <figure className="chart-figure">
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        <title>{title}</title>
        {band && (
          <rect
            x={left}
            y={py(band[1])}
            width={width - left - right}
            height={py(band[0]) - py(band[1])}
            className="band"
          />
        )}
        <line x1={left} x2={left} y1={top} y2={height - bottom} className="axis" />
        <line x1={left} x2={width - right} y1={height - bottom} y2={height - bottom} className="axis" />
        {[lo, (lo + hi) / 2, hi].map((v) => (
          <text key={v} x={left - 6} y={py(v) + 4} textAnchor="end" className="tick">
            {format(v)}
          </text>
        ))}
        {xs.map((label, i) =>
          i % Math.max(1, Math.ceil(xs.length / 8)) === 0 ? (
            <text
              key={label}
              x={px(i)}
              y={height - 8}
              textAnchor={i === 0 ? 'start' : i === xs.length - 1 ? 'end' : 'middle'}
              className="tick"
            >
              {label}
            </text>
          ) : null,
        )}
        {series.map((s, si) => {
          const pts = s.points
            .filter((p) => typeof p.y === 'number')
            .map((p) => `${px(xs.indexOf(p.x))},${py(p.y as number)}`);
          return (
            <g key={s.name} className={`series-${si % 6}`}>
              <polyline points={pts.join(' ')} className="line" />
              {s.points.map((p) =>
                typeof p.y === 'number' ? (
                  <circle key={p.x} cx={px(xs.indexOf(p.x))} cy={py(p.y)} r={3} className="point">
                    <title>{`${s.name}, ${p.x}: ${format(p.y)}`}</title>
                  </circle>
                ) : null,
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend-row">{legend}</figcaption>
    </figure>
  );
}

/** Counts per bucket as columns (volume per hour or day). */
export function ColumnChart({
  columns,
  title,
}: {
  columns: { label: string; value: number; tone?: string }[];
  title: string;
}) {
  const width = 640;
  const height = 140;
  const bottom = 22;
  const max = Math.max(1, ...columns.map((c) => c.value));
  const w = (width - 10) / Math.max(1, columns.length);
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
      <title>{title}</title>
      {columns.map((c, i) => {
        const h = (c.value / max) * (height - bottom - 6);
        return (
          <g key={`${c.label}-${i}`}>
            <rect
              x={5 + i * w}
              y={height - bottom - h}
              width={Math.max(1, w - 1)}
              height={h}
              className={`col ${c.tone ?? ''}`}
            >
              <title>{`${c.label}: ${c.value}`}</title>
            </rect>
            {i % Math.max(1, Math.ceil(columns.length / 8)) === 0 && (
              <text x={5 + i * w} y={height - 6} className="tick">
                {c.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
