import type { Annotation } from '../../src/contract/types.ts';
import { invoke } from '../api.ts';
import { shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

export interface AnnotationsState {
  slug?: string;
  status: LoadStatus;
  all: Annotation[];
  /** Annotations by record target: what every table and timeline reads to show stars, tags and notes. */
  byTarget: Record<string, Annotation[]>;
  error?: ShownError;
}

export interface AnnotationInput {
  text?: string;
  tags?: string[];
  starred?: boolean;
}

export interface AnnotationsSlice {
  annotations: AnnotationsState;
  loadAnnotations(slug: string): Promise<void>;
  addAnnotation(slug: string, target: string, input: AnnotationInput): Promise<Annotation | undefined>;
  updateAnnotation(slug: string, id: number, input: AnnotationInput): Promise<void>;
  deleteAnnotation(slug: string, id: number): Promise<void>;
  /** Stars a record, or removes the star (an annotation holding only the star is deleted). */
  toggleStar(slug: string, target: string): Promise<void>;
}

export function indexByTarget(all: Annotation[]): Record<string, Annotation[]> {
  const out: Record<string, Annotation[]> = {};
  for (const a of [...all].sort((x, y) => x.id - y.id)) (out[a.target] ??= []).push(a);
  return out;
}

export function isStarred(list: Annotation[] | undefined): boolean {
  return (list ?? []).some((a) => a.starred);
}

export const createAnnotationsSlice: SliceCreator<AnnotationsSlice> = (set, get) => {
  const replace = (slug: string, all: Annotation[]) =>
    set({ annotations: { slug, status: 'ready', all, byTarget: indexByTarget(all) } });
  return {
    annotations: { status: 'idle', all: [], byTarget: {} },
    async loadAnnotations(slug) {
      set({ annotations: { ...get().annotations, slug, status: 'loading' } });
      try {
        replace(slug, await invoke('annotations.list', { case: slug }));
      } catch (err) {
        set({ annotations: { ...get().annotations, slug, status: 'failed', error: shownError(err) } });
      }
    },
    async addAnnotation(slug, target, input) {
      try {
        const added = await invoke('annotations.add', { case: slug, target, ...input });
        replace(slug, [added, ...get().annotations.all.filter((a) => a.id !== added.id)]);
        return added;
      } catch (err) {
        set({ annotations: { ...get().annotations, error: shownError(err) } });
        return undefined;
      }
    },
    async updateAnnotation(slug, id, input) {
      try {
        const changed = await invoke('annotations.update', { case: slug, id, ...input });
        replace(
          slug,
          get().annotations.all.map((a) => (a.id === id ? changed : a)),
        );
      } catch (err) {
        set({ annotations: { ...get().annotations, error: shownError(err) } });
      }
    },
    async deleteAnnotation(slug, id) {
      try {
        await invoke('annotations.delete', { case: slug, id });
        replace(
          slug,
          get().annotations.all.filter((a) => a.id !== id),
        );
      } catch (err) {
        set({ annotations: { ...get().annotations, error: shownError(err) } });
      }
    },
    async toggleStar(slug, target) {
      const list = get().annotations.byTarget[target] ?? [];
      const starred = list.filter((a) => a.starred);
      if (starred.length === 0) {
        await get().addAnnotation(slug, target, { starred: true });
        return;
      }
      for (const a of starred) {
        if (a.text === '' && a.tags.length === 0) await get().deleteAnnotation(slug, a.id);
        else await get().updateAnnotation(slug, a.id, { starred: false });
      }
    },
  };
};
