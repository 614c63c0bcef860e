import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_PX, pagesFor, scrollTopFor, virtualWindow } from '../../renderer/components/virtual-window.ts';
import { formatRoute, parseRoute } from '../../renderer/route.ts';

describe('virtual table window', () => {
  it('draws only the rows in view plus the overscan', () => {
    const w = virtualWindow({ rowCount: 1000, rowHeight: 32, viewportHeight: 320, scrollTop: 3200, overscan: 5 });
    expect(w.firstVisible).toBe(100);
    expect(w.start).toBe(95);
    expect(w.end).toBe(115);
    expect(w.offsetTop).toBe(95 * 32);
    expect(w.totalHeight).toBe(32_000);
  });

  it('compresses ten million rows into a scroll range a browser can hold, reaching the first and the last row', () => {
    const input = { rowCount: 10_000_000, rowHeight: 32, viewportHeight: 480 };
    const top = virtualWindow({ ...input, scrollTop: 0 });
    expect(top.totalHeight).toBe(MAX_SCROLL_PX);
    expect(top.start).toBe(0);
    const bottom = virtualWindow({ ...input, scrollTop: MAX_SCROLL_PX });
    expect(bottom.end).toBe(10_000_000);
    expect(bottom.end - bottom.start).toBeLessThan(40);
    const middle = virtualWindow({ ...input, scrollTop: (MAX_SCROLL_PX - 480) / 2 });
    expect(Math.abs(middle.firstVisible - 5_000_000)).toBeLessThan(10);
  });

  it('scrolls just enough to bring a row into view, in both regimes', () => {
    const small = { rowCount: 100, rowHeight: 30, viewportHeight: 300 };
    expect(scrollTopFor(5, { ...small, currentScrollTop: 0 })).toBe(0);
    expect(scrollTopFor(20, { ...small, currentScrollTop: 0 })).toBe(21 * 30 - 300);
    expect(scrollTopFor(2, { ...small, currentScrollTop: 300 })).toBe(60);
    const big = { rowCount: 10_000_000, rowHeight: 32, viewportHeight: 480 };
    const top = scrollTopFor(9_999_999, { ...big, currentScrollTop: 0 });
    const w = virtualWindow({ ...big, scrollTop: top, overscan: 0 });
    expect(w.end).toBe(10_000_000);
  });

  it('names the pages a window needs', () => {
    expect(pagesFor(95, 115, 100)).toEqual([0, 1]);
    expect(pagesFor(0, 0, 100)).toEqual([]);
    expect(pagesFor(200, 300, 100)).toEqual([2]);
  });
});

describe('routes', () => {
  it('round-trips case screens with their query', () => {
    const route = { page: 'case' as const, slug: 'demo case', screen: 'timeline' as const, query: { decision: 'd-1' } };
    expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('falls back to the case list for anything unknown, and to the overview for an unknown screen', () => {
    expect(parseRoute('')).toEqual({ page: 'cases' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'cases' });
    expect(parseRoute('#/case/x/bogus')).toEqual({ page: 'case', slug: 'x', screen: 'overview', query: {} });
    expect(parseRoute('#/inspect')).toEqual({ page: 'inspect' });
  });
});
