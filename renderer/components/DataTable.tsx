import type { ReactNode } from 'react';

/** One column of a {@link DataTable}: its heading, and what each row puts in its cell. */
export interface DataColumn<R> {
  /** The heading, a `<th scope="col">`. */
  header: ReactNode;
  /** What the row shows in this column. */
  cell(row: R, index: number): ReactNode;
  /** Figures: heading and cells right-aligned with tabular digits (the `num` class). */
  num?: boolean;
  /** This cell names the row: a `<th scope="row">` instead of a `<td>`, so a screen reader announces it. */
  rowHeader?: boolean;
  /** More classes of the cell (`small`), or of one row's cell (`error` on a failure). */
  cellClass?: string | ((row: R) => string | undefined);
  /** A `data-col` name on each cell of the column, for tests and styles to find it. */
  dataCol?: string;
}

/** What a row carries besides its cells: a class (`flag`) and data attributes the journeys and styles select on. */
export type RowAttributes = { className?: string } & { [attribute: `data-${string}`]: string | number | undefined };

export interface DataTableProps<R> {
  /** The columns in order; `false`, `null` or `undefined` leaves a column out (a column shown only sometimes). */
  columns: readonly (DataColumn<R> | false | null | undefined)[];
  rows: readonly R[];
  rowKey(row: R, index: number): string | number;
  rowAttributes?(row: R, index: number): RowAttributes;
  caption?: ReactNode;
  /** The caption is for screen readers only (the card's heading already says it). */
  captionHidden?: boolean;
  testId?: string;
}

function classes(...names: (string | false | undefined)[]): string | undefined {
  return names.filter(Boolean).join(' ') || undefined;
}

/**
 * A plain table of a screen's rows, scrolling sideways in its card (`table-wrap`) when it is wider than the
 * screen. It is read, not navigated: Tab goes through the buttons and links in its cells, in reading order,
 * and each row may name itself with a row header. Lists of any length that need arrow keys, sorting and
 * paging on demand use VirtualTable instead.
 */
export function DataTable<R>(props: DataTableProps<R>) {
  const { columns, rows, rowKey, rowAttributes, caption, captionHidden, testId } = props;
  const shown = columns.filter((c): c is DataColumn<R> => Boolean(c));
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        {caption !== undefined && <caption className={captionHidden ? 'sr-only' : undefined}>{caption}</caption>}
        <thead>
          <tr>
            {shown.map((c, i) => (
              <th key={i} scope="col" className={c.num ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)} {...rowAttributes?.(row, index)}>
              {shown.map((c, i) => {
                const className = classes(
                  c.num && 'num',
                  typeof c.cellClass === 'function' ? c.cellClass(row) : c.cellClass,
                );
                return c.rowHeader ? (
                  <th key={i} scope="row" className={className} data-col={c.dataCol}>
                    {c.cell(row, index)}
                  </th>
                ) : (
                  <td key={i} className={className} data-col={c.dataCol}>
                    {c.cell(row, index)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
