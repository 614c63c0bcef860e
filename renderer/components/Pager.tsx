import { formatCount } from '../format.ts';

/** Previous / next over a paged list, with where we are in it. */
export function Pager({
  page,
  pageSize,
  onPage,
}: {
  page: { total: number; offset: number };
  pageSize: number;
  onPage(offset: number): void;
}) {
  if (page.total <= pageSize) return null;
  const last = Math.max(0, Math.floor((page.total - 1) / pageSize) * pageSize);
  return (
    <div className="pager">
      <button
        type="button"
        className="button small"
        disabled={page.offset === 0}
        onClick={() => onPage(Math.max(0, page.offset - pageSize))}
      >
        Previous
      </button>
      <span>
        {formatCount(page.offset + 1)}–{formatCount(Math.min(page.total, page.offset + pageSize))} of{' '}
        {formatCount(page.total)}
      </span>
      <button
        type="button"
        className="button small"
        disabled={page.offset >= last}
        onClick={() => onPage(page.offset + pageSize)}
      >
        Next
      </button>
    </div>
  );
}
