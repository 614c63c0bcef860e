/**
 * The investigator's notes on records, in case.sqlite's annotations table: a comment, tags, and a star
 * (kept as the reserved tag "starred", so the report and exports that read tags see it too). Every change
 * is a custody entry; a deleted annotation is gone from the table but its addition and deletion stay in
 * the custody log.
 */
import type Database from 'better-sqlite3';
import type { CaseHandle } from './store.ts';
import { AuditWsError } from '../errors.ts';

export const STAR_TAG = 'starred';

export interface Annotation {
  id: number;
  createdAt: string;
  actor: string;
  target: string;
  text: string;
  tags: string[];
  starred: boolean;
}

interface AnnotationRow {
  id: number;
  created_at: string;
  actor: string;
  target: string;
  text: string;
  tags: string | null;
}

function fromRow(r: AnnotationRow): Annotation {
  const all = r.tags ? (JSON.parse(r.tags) as string[]) : [];
  return {
    id: r.id,
    createdAt: r.created_at,
    actor: r.actor,
    target: r.target,
    text: r.text,
    tags: all.filter((t) => t !== STAR_TAG),
    starred: all.includes(STAR_TAG),
  };
}

function cleanTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const tag = t.trim().toLowerCase().replace(/\s+/g, '-');
    if (tag === '' || tag === STAR_TAG || out.includes(tag)) continue;
    if (tag.length > 60)
      throw new AuditWsError('BAD_USAGE', `the tag "${tag.slice(0, 20)}…" is longer than 60 characters`);
    out.push(tag);
  }
  return out;
}

export function annotationsFor(db: Database.Database, target: string): Annotation[] {
  return (db.prepare('SELECT * FROM annotations WHERE target = ? ORDER BY id').all(target) as AnnotationRow[]).map(
    fromRow,
  );
}

export function listAnnotations(db: Database.Database, target?: string): Annotation[] {
  if (target !== undefined) return annotationsFor(db, target);
  return (db.prepare('SELECT * FROM annotations ORDER BY id DESC LIMIT 10000').all() as AnnotationRow[]).map(fromRow);
}

export function addAnnotation(
  handle: CaseHandle,
  input: { target: string; text?: string; tags?: readonly string[]; starred?: boolean },
): Annotation {
  handle.assertWritable();
  const tags = cleanTags(input.tags ?? []);
  if (input.starred) tags.push(STAR_TAG);
  const text = (input.text ?? '').trim();
  if (text === '' && tags.length === 0) {
    throw new AuditWsError('BAD_USAGE', 'an annotation needs a comment, a tag or a star');
  }
  const db = handle.sqlite;
  let id = 0;
  const createdAt = new Date().toISOString();
  db.transaction(() => {
    id = Number(
      db
        .prepare('INSERT INTO annotations (created_at, actor, target, text, tags) VALUES (?, ?, ?, ?, ?)')
        .run(createdAt, handle.actor, input.target, text, JSON.stringify(tags)).lastInsertRowid,
    );
    handle.custody('annotation.added', { id, target: input.target, text, tags });
  })();
  return get(db, id);
}

export function updateAnnotation(
  handle: CaseHandle,
  id: number,
  change: { text?: string; tags?: readonly string[]; starred?: boolean },
): Annotation {
  handle.assertWritable();
  const db = handle.sqlite;
  const current = get(db, id);
  const tags = change.tags === undefined ? [...current.tags] : cleanTags(change.tags);
  const starred = change.starred ?? current.starred;
  if (starred) tags.push(STAR_TAG);
  const text = change.text === undefined ? current.text : change.text.trim();
  db.transaction(() => {
    db.prepare('UPDATE annotations SET text = ?, tags = ? WHERE id = ?').run(text, JSON.stringify(tags), id);
    handle.custody('annotation.changed', { id, target: current.target, text, tags });
  })();
  return get(db, id);
}

export function deleteAnnotation(handle: CaseHandle, id: number): void {
  handle.assertWritable();
  const db = handle.sqlite;
  const current = get(db, id);
  db.transaction(() => {
    db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
    handle.custody('annotation.deleted', { id, target: current.target });
  })();
}

function get(db: Database.Database, id: number): Annotation {
  const row = db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as AnnotationRow | undefined;
  if (!row) throw new AuditWsError('NOT_FOUND', `there is no annotation #${id} in this case (deleted meanwhile?)`);
  return fromRow(row);
}
