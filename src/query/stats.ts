/** Small statistics the aggregates share. */

/** The 0.975 quantile of the standard normal distribution: the z of a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a proportion of `successes` out of `n` (Wilson 1927): unlike the normal
 * approximation it stays inside [0, 1] and behaves for small n and for proportions near 0 or 1.
 * Null when n is 0.
 */
export function wilson(successes: number, n: number, z = Z_95): [number, number] | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Whether two intervals share no point. */
export function disjoint(a: [number, number] | null, b: [number, number] | null): boolean {
  if (!a || !b) return false;
  return a[1] < b[0] || b[1] < a[0];
}
