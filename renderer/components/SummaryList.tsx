import type { ReactNode } from 'react';

/** One line of a {@link SummaryList}: what it is, and its value. */
export interface SummaryItem {
  label: ReactNode;
  value: ReactNode;
  /** Unique among the items; the item's place in the list otherwise. */
  key?: string | number;
}

/**
 * Facts about one thing, a name and a value a line (the `key-value` table): a record's members, a decision's
 * input and output, what an archive is. Each name is a row header, so a screen reader reads it with its value.
 * `false`, `null` or `undefined` items are left out (a fact shown only sometimes).
 */
export function SummaryList({
  items,
  caption,
  className,
  wrap = false,
}: {
  items: readonly (SummaryItem | false | null | undefined)[];
  caption?: ReactNode;
  /** More classes of the table (`fields`). */
  className?: string;
  /** Scroll sideways inside its card (`table-wrap`) when wider than the screen. */
  wrap?: boolean;
}) {
  const table = (
    <table className={className ? `key-value ${className}` : 'key-value'}>
      {caption !== undefined && <caption>{caption}</caption>}
      <tbody>
        {items.map(
          (item, i) =>
            item && (
              <tr key={item.key ?? `#${i}`}>
                <th scope="row">{item.label}</th>
                <td>{item.value}</td>
              </tr>
            ),
        )}
      </tbody>
    </table>
  );
  return wrap ? <div className="table-wrap">{table}</div> : table;
}
