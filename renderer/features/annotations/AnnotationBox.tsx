import { useState, type FormEvent } from 'react';
import { formatTime } from '../../format.ts';
import { useStore } from '../../store/index.ts';
import { isStarred } from '../../store/annotations-slice.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';

/** Star, tag and comment one record; what is already said about it, newest last. */
export function AnnotationBox({ slug, target }: { slug: string; target: string }) {
  const list = useStore((s) => s.annotations.byTarget[target]);
  const error = useStore((s) => s.annotations.error);
  const addAnnotation = useStore((s) => s.addAnnotation);
  const deleteAnnotation = useStore((s) => s.deleteAnnotation);
  const toggleStar = useStore((s) => s.toggleStar);
  const [text, setText] = useState('');
  const [tags, setTags] = useState('');
  const starred = isStarred(list);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (!text.trim() && tagList.length === 0) return;
    if (await addAnnotation(slug, target, { text: text.trim(), tags: tagList })) {
      setText('');
      setTags('');
    }
  };

  return (
    <section className="annotation-box" aria-label={`Notes on ${target}`} data-testid="annotation-box">
      <div className="row">
        <h4>Your notes</h4>
        <button
          type="button"
          className={`button small star${starred ? ' on' : ''}`}
          aria-pressed={starred}
          onClick={() => void toggleStar(slug, target)}
        >
          {starred ? '★ Starred' : '☆ Star'}
        </button>
      </div>
      {(list ?? [])
        .filter((a) => a.text !== '' || a.tags.length > 0)
        .map((a) => (
          <div key={a.id} className="annotation" data-annotation={a.id}>
            {a.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
            {a.text && <p>{a.text}</p>}
            <p className="small muted">
              {a.actor}, {formatTime(a.createdAt)}{' '}
              <button type="button" className="link-button" onClick={() => void deleteAnnotation(slug, a.id)}>
                Delete
              </button>
            </p>
          </div>
        ))}
      <form onSubmit={submit} className="stack">
        <label htmlFor={`note-${target}`} className="sr-only">
          Comment
        </label>
        <textarea
          id={`note-${target}`}
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Comment on this record"
        />
        <div className="row">
          <label htmlFor={`tags-${target}`} className="sr-only">
            Tags
          </label>
          <input
            id={`tags-${target}`}
            value={tags}
            onChange={(e) => setTags(e.target.value)}
            placeholder="tags, comma separated"
            autoComplete="off"
          />
          <button type="submit" className="button small primary" disabled={!text.trim() && !tags.trim()}>
            Add note
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
    </section>
  );
}
