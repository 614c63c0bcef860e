// File › Open archive… in the desktop app hands the chosen path to whatever asks for one. While the "Open
// evidence package" form is on screen it claims the path (App.tsx asks here first); otherwise the path goes
// to the import wizard or the inspector as before.

type Claimant = (path: string) => void;
let claimant: Claimant | undefined;

/** Registers the form that wants the next chosen path; returns the function that unregisters it. */
export function claimOpenedPaths(listener: Claimant): () => void {
  claimant = listener;
  return () => {
    if (claimant === listener) claimant = undefined;
  };
}

/** Gives a chosen path to the form that claimed it; false when none has. */
export function offerOpenedPath(path: string): boolean {
  if (!claimant) return false;
  claimant(path);
  return true;
}
