import type { ShownError } from '../store/types.ts';

/** An error as a person needs it: what happened, in the core's words, and what to do about it. */
export function ErrorNote({ error, prefix }: { error: ShownError | undefined; prefix?: string }) {
  if (!error) return null;
  return (
    <div role="alert" className="error-note">
      <p>
        {prefix ? `${prefix}: ` : ''}
        {error.message} <span className="muted">({error.code})</span>
      </p>
      {error.hint && <p className="hint">{error.hint}</p>}
    </div>
  );
}
