import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { pagesFor, scrollTopFor, virtualWindow } from './virtual-window.ts';

export interface Column<R> {
  key: string;
  label: string;
  /** Width in px (the last column stretches to fill). */
  width: number;
  align?: 'left' | 'right' | 'center';
  render?: (row: R, index: number) => ReactNode;
  sortable?: boolean;
  title?: string;
}

export interface SortState {
  key: string;
  dir: 'asc' | 'desc';
}

export interface VirtualTableProps<R> {
  /** Accessible name of the grid. */
  label: string;
  columns: Column<R>[];
  rowCount: number;
  /** Changes when the query changes: the page cache is dropped and the view returns to the top. */
  queryKey: string;
  fetchPage(offset: number, limit: number): Promise<R[]>;
  pageSize?: number;
  rowHeight?: number;
  /** Height of the scroll area in px. */
  height?: number;
  sort?: SortState;
  onSort?(key: string): void;
  onActivate?(row: R, index: number): void;
  rowClass?(row: R): string | undefined;
  empty?: ReactNode;
  testId?: string;
}

type PageEntry<R> = { rows: R[] } | { error: string } | 'loading';

/**
 * A table over any number of rows that fetches only the pages on screen (plus a margin) and draws only the
 * rows in view. Keyboard: arrows, Page Up/Down, Home/End move the active row; Enter opens it.
 */
export function VirtualTable<R>(props: VirtualTableProps<R>) {
  const { columns, rowCount, queryKey, fetchPage, pageSize = 100, rowHeight = 32, height = 480 } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  const [, setVersion] = useState(0);
  // The pages fetched for the current query; a new query gets a new map (the old one is simply dropped, so a
  // late answer to the old query lands where nobody looks).
  const [pages, setPages] = useState(() => ({ key: queryKey, map: new Map<number, PageEntry<R>>() }));
  const headerHeight = 34;
  const bodyHeight = height - headerHeight;

  if (pages.key !== queryKey) {
    setPages({ key: queryKey, map: new Map() });
    setActive(0);
    setScrollTop(0);
  }
  const cache = pages.map;

  useLayoutEffect(() => {
    if (viewport.current) viewport.current.scrollTop = 0;
  }, [queryKey]);

  const win = virtualWindow({ rowCount, rowHeight, viewportHeight: bodyHeight, scrollTop });

  useEffect(() => {
    for (const page of pagesFor(win.start, win.end, pageSize)) {
      if (cache.has(page)) continue;
      cache.set(page, 'loading');
      fetchPage(page * pageSize, pageSize).then(
        (rows) => {
          cache.set(page, { rows });
          setVersion((v) => v + 1);
        },
        (err: unknown) => {
          cache.set(page, { error: err instanceof Error ? err.message : String(err) });
          setVersion((v) => v + 1);
        },
      );
    }
  }, [win.start, win.end, pageSize, fetchPage, cache]);

  const rowAt = (index: number): R | 'loading' | { error: string } => {
    const entry = cache.get(Math.floor(index / pageSize));
    if (!entry || entry === 'loading') return 'loading';
    if ('error' in entry) return entry;
    return entry.rows[index % pageSize] ?? 'loading';
  };

  const template = useMemo(
    () => columns.map((c, i) => (i === columns.length - 1 ? `minmax(${c.width}px, 1fr)` : `${c.width}px`)).join(' '),
    [columns],
  );
  const minWidth = columns.reduce((a, c) => a + c.width, 0);

  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(rowCount - 1, index));
    setActive(next);
    const el = viewport.current;
    if (!el) return;
    const top = scrollTopFor(next, { rowCount, rowHeight, viewportHeight: bodyHeight, currentScrollTop: el.scrollTop });
    if (top !== el.scrollTop) {
      el.scrollTop = top;
      setScrollTop(top);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rowCount === 0) return;
    const page = Math.max(1, win.visibleRows - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(active + 1),
      ArrowUp: () => moveTo(active - 1),
      PageDown: () => moveTo(active + page),
      PageUp: () => moveTo(active - page),
      Home: () => moveTo(0),
      End: () => moveTo(rowCount - 1),
      Enter: () => {
        const row = rowAt(active);
        if (row !== 'loading' && !(typeof row === 'object' && row !== null && 'error' in (row as object))) {
          props.onActivate?.(row as R, active);
        }
      },
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const rows: ReactNode[] = [];
  for (let i = win.start; i < win.end; i++) {
    const row = rowAt(i);
    const top = win.offsetTop + (i - win.start) * rowHeight;
    const isActive = i === active;
    const base = {
      role: 'row',
      'aria-rowindex': i + 2,
      className: `vt-row${isActive ? ' active' : ''}`,
      style: { top, height: rowHeight, gridTemplateColumns: template },
    } as const;
    if (row === 'loading' || (typeof row === 'object' && row !== null && 'error' in (row as object))) {
      const text = row === 'loading' ? 'Loading…' : `Could not load these rows: ${(row as { error: string }).error}`;
      rows.push(
        <div key={i} {...base} aria-selected={isActive} className={`${base.className} placeholder`}>
          <div role="gridcell" className="vt-cell muted">
            {text}
          </div>
        </div>,
      );
      continue;
    }
    const r = row as R;
    const extra = props.rowClass?.(r);
    rows.push(
      <div
        key={i}
        {...base}
        className={`${base.className}${extra ? ` ${extra}` : ''}`}
        aria-selected={isActive}
        onClick={() => setActive(i)}
        onDoubleClick={() => props.onActivate?.(r, i)}
      >
        {columns.map((c) => (
          <div key={c.key} role="gridcell" className={`vt-cell${c.align ? ` ${c.align}` : ''}`}>
            {c.render ? c.render(r, i) : String((r as Record<string, unknown>)[c.key] ?? '')}
          </div>
        ))}
      </div>,
    );
  }

  return (
    <div
      className="vt"
      role="grid"
      aria-label={props.label}
      aria-rowcount={rowCount + 1}
      aria-colcount={columns.length}
      tabIndex={0}
      onKeyDown={onKeyDown}
      data-testid={props.testId}
    >
      <div
        className="vt-viewport"
        ref={viewport}
        style={{ height }}
        onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      >
        <div className="vt-inner" style={{ minWidth, height: win.totalHeight + headerHeight }}>
          <div
            role="row"
            aria-rowindex={1}
            className="vt-head"
            style={{ gridTemplateColumns: template, height: headerHeight }}
          >
            {columns.map((c) => {
              const sorted = props.sort?.key === c.key ? props.sort.dir : undefined;
              return (
                <div
                  key={c.key}
                  role="columnheader"
                  className={`vt-cell${c.align ? ` ${c.align}` : ''}`}
                  aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                  title={c.title}
                >
                  {c.sortable && props.onSort ? (
                    <button type="button" className="vt-sort" onClick={() => props.onSort?.(c.key)}>
                      {c.label}
                      <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </div>
              );
            })}
          </div>
          <div className="vt-body" style={{ top: headerHeight }}>
            {rows}
          </div>
        </div>
        {rowCount === 0 && <div className="vt-empty">{props.empty ?? 'No rows.'}</div>}
      </div>
    </div>
  );
}
