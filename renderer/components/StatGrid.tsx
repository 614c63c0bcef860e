import type { ReactNode } from 'react';

/** The row of headline figures at the top of a screen; its tiles wrap on a narrow window. */
export function StatGrid({ children }: { children: ReactNode }) {
  return <div className="tiles">{children}</div>;
}

export interface StatTileProps {
  label: ReactNode;
  value: ReactNode;
  /** What the figure is of, in a sentence. */
  note: ReactNode;
  /** A smaller value (`small`), for one that is text rather than a figure. */
  valueClass?: string;
  valueTestId?: string;
  /** The tile is a link to where the figure comes from… */
  href?: string;
  /** …or a button that opens it (a drill-down); otherwise it is read only. */
  onClick?(): void;
}

/** One headline figure: a label, the value, and a note that says what it counts. */
export function StatTile({ label, value, note, valueClass, valueTestId, href, onClick }: StatTileProps) {
  const body = (
    <>
      <span className="tile-label">{label}</span>
      <span className={valueClass ? `tile-value ${valueClass}` : 'tile-value'} data-testid={valueTestId}>
        {value}
      </span>
      <span className="tile-note">{note}</span>
    </>
  );
  if (href !== undefined) {
    return (
      <a className="tile" href={href}>
        {body}
      </a>
    );
  }
  if (onClick) {
    return (
      <button type="button" className="tile" onClick={onClick}>
        {body}
      </button>
    );
  }
  return <div className="tile">{body}</div>;
}
