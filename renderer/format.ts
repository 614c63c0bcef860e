const counts = new Intl.NumberFormat('en-US');

/** Counts as people read them: 12,345. */
export function formatCount(n: number | undefined): string {
  return counts.format(n ?? 0);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatCount(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "decision 120, review 14" style list of a count map, largest first. */
export function formatCountMap(map: Partial<Record<string, number>>): string {
  const entries = Object.entries(map).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (entries.length === 0) return '–';
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key} ${formatCount(n)}`)
    .join(', ');
}

/** "1.2 s", "3 min 5 s", "1 h 02 min": for rates and time left. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return '< 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A ratio such as 0.83 or 1.25, with two decimals. */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(2);
}

/** ISO time as "2026-03-01 14:05:09 UTC" (the evidence is in UTC; local time would mislead). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

export function formatDay(iso: string | null | undefined): string {
  if (!iso) return '–';
  return iso.slice(0, 10);
}

/** A prediction or decision as a person reads it: a label, or an object's members as "key: value". */
export function predictionText(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
  }
  return cellText(value);
}

/** Any cell value as short text for a table. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Number.isInteger(value) ? formatCount(value) : String(Math.round(value * 10000) / 10000);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

/** "1 note", "3 notes": a count with its noun. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : nouns}`;
}
