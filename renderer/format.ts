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
