import type { ReactNode } from 'react';

/** A button that looks like a link: it goes somewhere in the app (a drill-down, a record, a timeline). */
export function LinkButton({ onClick, children }: { onClick(): void; children: ReactNode }) {
  return (
    <button type="button" className="link-button" onClick={onClick}>
      {children}
    </button>
  );
}
