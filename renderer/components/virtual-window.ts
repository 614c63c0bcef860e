// The arithmetic of a virtualized table, kept apart from React so it is unit tested in Node. Browsers cap an
// element's height (about 33 million px in Chromium), so past MAX_SCROLL_PX the scroll range is compressed:
// scrollTop maps linearly onto the row index and rows are drawn at their own offset inside the viewport.

export const MAX_SCROLL_PX = 8_000_000;

export interface WindowInput {
  rowCount: number;
  rowHeight: number;
  viewportHeight: number;
  scrollTop: number;
  overscan?: number;
}

export interface VirtualWindow {
  /** Height of the spacer that gives the scroll bar its range. */
  totalHeight: number;
  /** First and last (exclusive) row to draw. */
  start: number;
  end: number;
  /** Pixel offset (inside the spacer) of row `start`. */
  offsetTop: number;
  /** Index of the row at the top of the viewport (possibly fractional scroll into it). */
  firstVisible: number;
  visibleRows: number;
}

export function virtualWindow(input: WindowInput): VirtualWindow {
  const { rowCount, rowHeight, viewportHeight, overscan = 8 } = input;
  const natural = rowCount * rowHeight;
  const totalHeight = Math.min(natural, MAX_SCROLL_PX);
  const visibleRows = Math.max(1, Math.ceil(viewportHeight / rowHeight));
  const maxScroll = Math.max(0, totalHeight - viewportHeight);
  const scrollTop = Math.min(Math.max(0, input.scrollTop), maxScroll);
  let firstVisible: number;
  let offsetTop: number;
  if (natural <= MAX_SCROLL_PX) {
    firstVisible = Math.floor(scrollTop / rowHeight);
    const start = Math.max(0, firstVisible - overscan);
    const end = Math.min(rowCount, firstVisible + visibleRows + overscan);
    offsetTop = start * rowHeight;
    return { totalHeight, start, end, offsetTop, firstVisible, visibleRows };
  }
  // Compressed: the share of the scroll range travelled is the share of the rows passed.
  const maxFirst = Math.max(0, rowCount - visibleRows);
  firstVisible = maxScroll > 0 ? Math.round((scrollTop / maxScroll) * maxFirst) : 0;
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(rowCount, firstVisible + visibleRows + overscan);
  offsetTop = scrollTop - (firstVisible - start) * rowHeight;
  return { totalHeight, start, end, offsetTop, firstVisible, visibleRows };
}

/** The scrollTop that puts row `index` in view (keeping the current position when it already is). */
export function scrollTopFor(
  index: number,
  input: Omit<WindowInput, 'scrollTop' | 'overscan'> & { currentScrollTop: number },
): number {
  const { rowCount, rowHeight, viewportHeight, currentScrollTop } = input;
  const natural = rowCount * rowHeight;
  if (natural <= MAX_SCROLL_PX) {
    const top = index * rowHeight;
    if (top < currentScrollTop) return top;
    if (top + rowHeight > currentScrollTop + viewportHeight) return top + rowHeight - viewportHeight;
    return currentScrollTop;
  }
  const visibleRows = Math.max(1, Math.floor(viewportHeight / rowHeight));
  const w = virtualWindow({ ...input, scrollTop: currentScrollTop, overscan: 0 });
  if (index >= w.firstVisible && index < w.firstVisible + visibleRows) return currentScrollTop;
  const maxFirst = Math.max(1, rowCount - visibleRows);
  const first = index < w.firstVisible ? index : index - visibleRows + 1;
  const maxScroll = Math.max(0, MAX_SCROLL_PX - viewportHeight);
  return (Math.max(0, Math.min(first, maxFirst)) / maxFirst) * maxScroll;
}

/** Pages (of `pageSize` rows) a window needs. */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) out.push(p);
  return out;
}
