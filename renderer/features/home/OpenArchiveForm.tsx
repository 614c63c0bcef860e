import { useState, type FormEvent } from 'react';
import { transport } from '../../api.ts';
import { useStore } from '../../store/index.ts';

/** Browser mode has no file dialog with real paths, so the path is typed; the desktop app also has File > Open. */
export function OpenArchiveForm() {
  const openArchive = useStore((s) => s.openArchive);
  const loading = useStore((s) => s.archive.status === 'loading');
  const [path, setPath] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = path.trim();
    if (trimmed) void openArchive(trimmed);
  };
  return (
    <form className="open-form" onSubmit={submit} aria-label="Open an archive">
      <label htmlFor="archive-path">Archive path (folder, .zip, .tar or .tar.gz)</label>
      <div className="open-row">
        <input
          id="archive-path"
          type="text"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/absolute/path/to/archive"
          spellCheck={false}
          autoComplete="off"
        />
        <button type="submit" className="button primary" disabled={loading || path.trim() === ''}>
          Inspect
        </button>
      </div>
      {transport() === 'electron' && <p className="muted">Or use File › Open archive… in the menu.</p>}
    </form>
  );
}
