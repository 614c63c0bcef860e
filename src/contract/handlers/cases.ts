import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from '../../case/lock.ts';
import { RECORD_KINDS } from '../../archive/kinds.ts';
import { KIND_TABLES } from '../../case/evidence-schema.ts';
import { openCaseSqliteReadOnly } from '../../case/store.ts';
import type { CaseSummary } from '../../case/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { latestRunSummary } from '../case-verification.ts';
import type { Session } from '../session.ts';
import { sessionFor } from '../session.ts';
import { queryRows } from '../rows.ts';
import type { HandlerTable } from '../types.ts';
import { expectNoParams, expectParams, optionalString, requireString } from '../validate.ts';
import type { CaseListItem, CaseOverview, ImportRow, RecordKindName } from '../workstation-types.ts';

export function caseParam(method: string, params: Record<string, unknown>): string {
  return requireString(method, params, 'case', 300);
}

function listItem(session: Session, summary: CaseSummary): CaseListItem {
  const slug = path.basename(summary.dir);
  const item: CaseListItem = {
    slug,
    name: summary.name,
    createdAt: summary.createdAt,
    createdBy: summary.createdBy,
    dir: summary.dir,
    totals: { ...summary.totals },
    interruptedImports: summary.interruptedImports,
    open: session.cases.isOpen(slug),
  };
  if (summary.description) item.description = summary.description;
  if (summary.readOnly) item.readOnly = summary.readOnly;
  if (summary.origin) item.origin = summary.origin;
  // The lock this host holds is not "in use by someone else".
  if (summary.inUseBy && !heldByThisProcess(summary.dir)) item.inUseBy = summary.inUseBy;
  const busy = session.cases.busyReason(slug);
  if (busy) item.busy = busy;
  return item;
}

/** Whether the case lock is this process's own (the case is open here, or being opened or closed). */
function heldByThisProcess(dir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid?: unknown; host?: unknown };
    return owner.pid === process.pid && owner.host === os.hostname();
  } catch {
    return false;
  }
}

function importRows(session: Session, slug: string): ImportRow[] {
  const db = openCaseSqliteReadOnly(session.cases.workspace.locate(slug));
  try {
    const rows = db
      .prepare('SELECT id, started_at, finished_at, status, actor, inputs, counts, error FROM imports ORDER BY id DESC')
      .all() as {
      id: number;
      started_at: string;
      finished_at: string | null;
      status: string;
      actor: string;
      inputs: string;
      counts: string | null;
      error: string | null;
    }[];
    return rows.map((r) => {
      const counts = r.counts ? (JSON.parse(r.counts) as { records?: number; rejected?: number; noted?: number }) : {};
      const row: ImportRow = {
        id: r.id,
        startedAt: r.started_at,
        status: r.status,
        actor: r.actor,
        inputs: JSON.parse(r.inputs) as string[],
        records: counts.records ?? 0,
        rejected: counts.rejected ?? 0,
        noted: counts.noted ?? 0,
      };
      if (r.finished_at) row.finishedAt = r.finished_at;
      if (r.error) row.error = r.error;
      return row;
    });
  } finally {
    db.close();
  }
}

export const casesHandlers = {
  'cases.list': {
    parse: (params) => expectNoParams('cases.list', params),
    run: async (_params, context) => {
      const session = sessionFor(context);
      return { workspace: context.workspace, cases: session.cases.workspace.list().map((s) => listItem(session, s)) };
    },
  },
  'cases.create': {
    parse: (params) => {
      const p = expectParams('cases.create', params, ['name', 'description']);
      const name = requireString('cases.create', p, 'name', 200);
      const description = optionalString('cases.create', p, 'description', 2000);
      return description === undefined ? { name } : { name, description };
    },
    run: async ({ name, description }, context) => {
      const session = sessionFor(context);
      const handle = await session.cases.workspace.create(name, { actor: session.cases.actor, description });
      const dir = handle.dir;
      await handle.close();
      return listItem(session, session.cases.workspace.summary(dir));
    },
  },
  'cases.get': {
    parse: (params) => ({ case: caseParam('cases.get', expectParams('cases.get', params, ['case'])) }),
    run: async (params, context) => {
      const session = sessionFor(context);
      const slug = session.cases.slugOf(params.case);
      const summary = session.cases.workspace.summary(session.cases.workspace.locate(slug));
      const base = {
        case: listItem(session, summary),
        imports: importRows(session, slug),
        jobs: session.jobs.list({ case: slug }).slice(0, 10),
      };
      // While an import holds the case: say so, and show what case.sqlite knows without touching DuckDB.
      const busyOverview = (why: string): CaseOverview => ({
        ...base,
        case: { ...base.case, busy: why },
        kinds: [],
        streams: [],
        annotations: 0,
        savedViews: 0,
        notices: [why],
      });
      const busy = session.cases.busyReason(slug);
      if (busy) return busyOverview(busy);
      // The import may take the case between that check and this request's turn: the same answer then.
      return session.cases
        .use(slug, async (handle) => {
          const kinds: CaseOverview['kinds'] = [];
          const streams: CaseOverview['streams'] = [];
          for (const kind of RECORD_KINDS) {
            const rows = await queryRows(
              handle.duck,
              `SELECT stream, count(*) AS records, min(seq) AS first_seq, max(seq) AS last_seq
             FROM ${KIND_TABLES[kind]} GROUP BY stream ORDER BY stream`,
            );
            let total = 0;
            for (const r of rows) {
              total += Number(r.records);
              const s: CaseOverview['streams'][number] = {
                stream: String(r.stream ?? kind),
                kind: kind as RecordKindName,
                records: Number(r.records),
              };
              if (r.first_seq !== null) s.firstSeq = Number(r.first_seq);
              if (r.last_seq !== null) s.lastSeq = Number(r.last_seq);
              streams.push(s);
            }
            kinds.push({ kind: kind as RecordKindName, records: total });
          }
          const [period] = await queryRows(
            handle.duck,
            'SELECT min(timestamp) AS "from", max(timestamp) AS "to" FROM decisions',
          );
          const count = (sql: string) => (handle.sqlite.prepare(sql).get() as { n: number }).n;
          const overview: CaseOverview = {
            ...base,
            kinds,
            streams,
            annotations: count('SELECT count(*) AS n FROM annotations'),
            savedViews: count('SELECT count(*) AS n FROM saved_views'),
            notices: [...handle.notices],
          };
          if (period?.from && period.to) overview.period = { from: String(period.from), to: String(period.to) };
          const last = latestRunSummary(handle.sqlite);
          if (last) overview.lastVerification = last;
          return overview;
        })
        .catch((err: unknown) => {
          if (err instanceof AuditWsError && err.code === 'CASE_LOCKED') return busyOverview(err.message);
          throw err;
        });
    },
  },
  'cases.delete': {
    parse: (params) => ({ case: caseParam('cases.delete', expectParams('cases.delete', params, ['case'])) }),
    run: async (params, context) => {
      const session = sessionFor(context);
      const slug = session.cases.slugOf(params.case);
      if (session.jobs.running(slug).length > 0) {
        throw new AuditWsError(
          'CASE_LOCKED',
          `case "${params.case}" has a task running (${session.jobs.running(slug)[0].title}): cancel it or let it finish, then delete`,
        );
      }
      await session.cases.close(slug);
      const info = await session.cases.workspace.delete(slug);
      return { name: info.name };
    },
  },
} satisfies Partial<HandlerTable>;
