import path from 'node:path';
import { inspectArchive } from '../../archive/inspect.ts';
import { openCaseSqliteReadOnly } from '../../case/store.ts';
import { AuditWsError, toErrorPayload } from '../../errors.ts';
import { importArchives } from '../../import/importer.ts';
import { buildLookups } from '../../query/lookups.ts';
import type { ImportProgress } from '../../import/progress.ts';
import type { JobProgress, JobSnapshot } from '../jobs.ts';
import { toPlainJson } from '../plain-json.ts';
import { evidenceChanged } from '../query-context.ts';
import { sessionFor, type Session } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalBoolean, optionalInteger, stringArray } from '../validate.ts';
import type { PreviewItem, RejectRow } from '../workstation-types.ts';
import { caseParam } from './cases.ts';

const MAX_INPUTS = 100;

function absolutePaths(method: string, p: Record<string, unknown>): string[] {
  const paths = stringArray(method, p, 'paths', MAX_INPUTS);
  if (paths.length === 0)
    throw new AuditWsError('BAD_USAGE', `${method}: give at least one path to import`, { member: 'paths' });
  return paths.map((value, i) => {
    if (!path.isAbsolute(value)) {
      throw new AuditWsError(
        'BAD_USAGE',
        `${method}: "${value}" is not an absolute path: give the full path, e.g. /home/me/archive.zip`,
        {
          member: `paths[${i}]`,
        },
      );
    }
    return path.normalize(value);
  });
}

/** The importer's counters as the UI's progress bar reads them: share of the work, records, rate, time left. */
export function importJobProgress(p: ImportProgress): JobProgress {
  const out: JobProgress = {
    phase: p.phase,
    done: p.recordsDone,
    unit: 'records',
    rate: p.recordsPerSecond,
    rateUnit: 'records/s',
  };
  if (p.bytesTotal > 0) out.fraction = Math.min(1, p.bytesDone / p.bytesTotal);
  if (p.recordsTotal !== undefined) out.total = p.recordsTotal;
  if (p.etaSeconds !== undefined) out.etaSeconds = p.etaSeconds;
  // Files are counted while loading; while hashing the counter has not started yet.
  const count =
    p.phase === 'loading' ? ` (data file ${Math.min(p.filesDone + 1, p.filesTotal)} of ${p.filesTotal})` : '';
  const where = p.file ? `${p.file}${count}` : undefined;
  if (where) out.detail = where;
  return out;
}

/** Starts an import of `paths` into a case as a job; the case is the import's alone until it ends. */
export function startImportJob(
  session: Session,
  caseName: string,
  paths: string[],
  options: { strict?: boolean; force?: boolean } = {},
): JobSnapshot {
  const slug = session.cases.slugOf(caseName);
  const busy = session.cases.busyReason(slug);
  if (busy) throw new AuditWsError('CASE_LOCKED', busy);
  const name = session.cases.workspace.summary(session.cases.workspace.locate(slug)).name;
  const title = `Import into ${name}: ${paths.map((p) => p.split(/[\\/]/).pop()).join(', ')}`;
  return session.jobs.start({ kind: 'import', title, case: slug }, (job) =>
    session.cases.exclusive(
      slug,
      `case "${name}" is importing: its screens are back as soon as the import has finished (or is cancelled)`,
      async (handle) => {
        const result = await importArchives(handle, paths, {
          strict: options.strict,
          force: options.force,
          signal: job.signal,
          onProgress: (p) => job.progress(importJobProgress(p)),
        });
        if (result.status === 'failed') {
          throw new AuditWsError('UNREADABLE_INPUT', `import failed, the case is as it was before: ${result.error}`, {
            importId: result.importId,
            rejectsTotal: result.rejectsTotal,
          });
        }
        if (result.status === 'done') {
          // What makes the screens fast afterwards: the lookup tables and facet counts the queries use, and
          // the new rows folded from DuckDB's log into the database file.
          job.progress({
            phase: 'indexing for fast search',
            fraction: 1,
            done: result.counts.records,
            unit: 'records',
          });
          await buildLookups(handle.duck);
          await handle.duck.run('CHECKPOINT');
          evidenceChanged(handle);
          session.cases.reopenAfterExclusive(slug);
        }
        return result;
      },
    ),
  );
}

export const importHandlers = {
  'import.preview': {
    parse: (params) => ({ paths: absolutePaths('import.preview', expectParams('import.preview', params, ['paths'])) }),
    run: async ({ paths }) => {
      const items: PreviewItem[] = [];
      for (const input of paths) {
        try {
          items.push({ path: input, report: toPlainJson(await inspectArchive(input)) });
        } catch (err) {
          const { ok: _ok, ...error } = toErrorPayload(err);
          items.push({ path: input, error });
        }
      }
      return { items };
    },
  },
  'import.start': {
    parse: (params) => {
      const p = expectParams('import.start', params, ['case', 'paths', 'strict', 'force']);
      return {
        case: caseParam('import.start', p),
        paths: absolutePaths('import.start', p),
        strict: optionalBoolean('import.start', p, 'strict') ?? false,
        force: optionalBoolean('import.start', p, 'force') ?? false,
      };
    },
    run: async (params, context) => startImportJob(sessionFor(context), params.case, params.paths, params),
  },
  'import.rejects': {
    parse: (params) => {
      const p = expectParams('import.rejects', params, ['case', 'importId', 'offset', 'limit']);
      const out: { case: string; importId?: number; offset: number; limit: number } = {
        case: caseParam('import.rejects', p),
        offset: optionalInteger('import.rejects', p, 'offset', {}, 0) as number,
        limit: optionalInteger('import.rejects', p, 'limit', { min: 1, max: 1000 }, 200) as number,
      };
      const importId = optionalInteger('import.rejects', p, 'importId', { min: 1 });
      if (importId !== undefined) out.importId = importId;
      return out;
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      // case.sqlite alone: readable even while an import holds the case's DuckDB connection.
      const db = openCaseSqliteReadOnly(session.cases.workspace.locate(params.case));
      try {
        const where = params.importId === undefined ? '' : 'WHERE import_id = @importId';
        const bind = params.importId === undefined ? {} : { importId: params.importId };
        const total = (db.prepare(`SELECT count(*) AS n FROM rejects ${where}`).get(bind) as { n: number }).n;
        const rows = db
          .prepare(
            `SELECT * FROM rejects ${where} ORDER BY import_id DESC, id LIMIT ${params.limit ?? 200} OFFSET ${params.offset ?? 0}`,
          )
          .all(bind) as {
          id: number;
          import_id: number;
          file: string;
          line: number | null;
          row: number | null;
          reason: string;
          excerpt: string | null;
          disposition: 'rejected' | 'noted';
        }[];
        return {
          total,
          offset: params.offset ?? 0,
          rows: rows.map((r) => {
            const out: RejectRow = {
              id: r.id,
              importId: r.import_id,
              file: r.file,
              reason: r.reason,
              disposition: r.disposition,
            };
            if (r.line !== null) out.line = r.line;
            if (r.row !== null) out.row = r.row;
            if (r.excerpt !== null) out.excerpt = r.excerpt;
            return out;
          }),
        };
      } finally {
        db.close();
      }
    },
  },
} satisfies Partial<HandlerTable>;
