import type { JobSnapshot, Page, PreviewItem, RejectRow } from '../../src/contract/types.ts';
import type { ImportResult } from '../../src/import/importer.ts';
import { invoke } from '../api.ts';
import { errorFromPayload, shownError } from './errors.ts';
import type { LoadStatus, ShownError, SliceCreator } from './types.ts';

export type ImportStep = 'choose' | 'review' | 'importing' | 'done';

export interface ImportWizardState {
  slug?: string;
  step: ImportStep;
  /** One absolute path per line. */
  pathsText: string;
  strict: boolean;
  force: boolean;
  previewStatus: LoadStatus;
  preview: PreviewItem[];
  job?: JobSnapshot;
  result?: ImportResult;
  error?: ShownError;
  rejects?: Page<RejectRow>;
  rejectsStatus: LoadStatus;
}

export interface ImportSlice {
  importWizard: ImportWizardState;
  resetImport(slug: string): void;
  setImportPaths(text: string): void;
  addImportPath(path: string): void;
  setImportOption(option: 'strict' | 'force', value: boolean): void;
  previewImport(): Promise<void>;
  startImport(): Promise<void>;
  loadRejects(offset?: number): Promise<void>;
}

export function pathsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

const fresh = (slug?: string): ImportWizardState => ({
  slug,
  step: 'choose',
  pathsText: '',
  strict: false,
  force: false,
  previewStatus: 'idle',
  preview: [],
  rejectsStatus: 'idle',
});

export const createImportSlice: SliceCreator<ImportSlice> = (set, get) => {
  const patch = (change: Partial<ImportWizardState>) => set({ importWizard: { ...get().importWizard, ...change } });
  return {
    importWizard: fresh(),
    resetImport(slug) {
      const w = get().importWizard;
      // A wizard with an import running stays as it is: its progress must not vanish on navigation.
      if (w.slug === slug && (w.step === 'importing' || w.step === 'review' || w.step === 'done')) return;
      set({ importWizard: { ...fresh(slug), pathsText: w.slug === slug ? w.pathsText : '' } });
    },
    setImportPaths(text) {
      patch({ pathsText: text, step: 'choose', preview: [], previewStatus: 'idle', error: undefined });
    },
    addImportPath(path) {
      const w = get().importWizard;
      const paths = pathsOf(w.pathsText);
      if (paths.includes(path)) return;
      const text = [...paths, path].join('\n');
      // While an import runs its progress stays on screen; the path waits for the next import.
      if (w.step === 'importing') patch({ pathsText: text });
      else get().setImportPaths(text);
    },
    setImportOption(option, value) {
      patch({ [option]: value });
    },
    async previewImport() {
      const paths = pathsOf(get().importWizard.pathsText);
      if (paths.length === 0) return;
      patch({ previewStatus: 'loading', error: undefined });
      try {
        const { items } = await invoke('import.preview', { paths });
        patch({ previewStatus: 'ready', preview: items, step: 'review' });
      } catch (err) {
        patch({ previewStatus: 'failed', error: shownError(err) });
      }
    },
    async startImport() {
      const w = get().importWizard;
      if (!w.slug) return;
      const slug = w.slug;
      const paths = w.preview.filter((p) => !p.error).map((p) => p.path);
      try {
        const job = await invoke('import.start', { case: slug, paths, strict: w.strict, force: w.force });
        patch({ step: 'importing', job, error: undefined, result: undefined, rejects: undefined });
        get().trackJob(job, (end) => {
          if (get().importWizard.job?.id !== end.id) return;
          const result = end.result as unknown as ImportResult | undefined;
          patch({ step: 'done', job: end, result, error: errorFromPayload(end.error) });
          void get().loadCase(slug);
          void get().loadCases();
          void get().loadRejects(0);
        });
      } catch (err) {
        patch({ error: shownError(err) });
      }
    },
    async loadRejects(offset = 0) {
      const w = get().importWizard;
      const importId =
        w.result?.importId ?? (w.job?.error?.details as { importId?: number } | undefined)?.importId ?? undefined;
      if (!w.slug || importId === undefined) return;
      patch({ rejectsStatus: 'loading' });
      try {
        const rejects = await invoke('import.rejects', { case: w.slug, importId, offset, limit: 100 });
        patch({ rejects, rejectsStatus: 'ready' });
      } catch (err) {
        patch({ rejectsStatus: 'failed', error: shownError(err) });
      }
    },
  };
};
