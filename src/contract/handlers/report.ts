import { existsSync } from 'node:fs';
import path from 'node:path';
import { AuditWsError } from '../../errors.ts';
import { csvExportCustody, exportCsv } from '../../export/run.ts';
import { exporterNamed, exporters } from '../../export/exporters/index.ts';
import { verifyEvidencePackage } from '../../package/verify.ts';
import { writeEvidencePackage } from '../../package/write.ts';
import type { FairnessRequest } from '../../report/context.ts';
import type { ReportFormat } from '../../report/write.ts';
import { sessionFor, type Session } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import {
  expectParams,
  optionalBoolean,
  optionalString,
  requireAbsolutePath,
  requireString,
  stringArray,
} from '../validate.ts';
import { caseParam } from './cases.ts';

// Reports, evidence packages and CSV exports (src/report, src/package, src/export) as jobs: writing a PDF or
// packaging thousands of records takes seconds to minutes, so they run in the background with a cancel button.
// The report writer is loaded when first used. PDFs are printed by the host's renderer (context.pdf: Electron's
// printToPDF in the desktop app), else by the system Chromium through playwright-core, loaded only then.
const reportWriter = () => import('../../report/write.ts');

/** The report formats, spelled here so that listing them does not load the report writer. */
const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'html', 'json', 'csv'];

function formatsOf(method: string, p: Record<string, unknown>, fallback: ReportFormat[]): ReportFormat[] {
  const list = stringArray(method, p, 'formats', 10, 10);
  for (const f of list) {
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
      throw new AuditWsError('BAD_USAGE', `${method}: "${f}" is not a report format (${REPORT_FORMATS.join(', ')})`, {
        member: 'formats',
      });
    }
  }
  return list.length > 0 ? (list as ReportFormat[]) : fallback;
}

function caseName(session: Session, slug: string): string {
  return session.cases.workspace.summary(session.cases.workspace.locate(slug)).name;
}

function refuseBusy(session: Session, slug: string): void {
  const busy = session.cases.busyReason(slug);
  if (busy) throw new AuditWsError('CASE_LOCKED', busy);
}

/** A folder name for this moment, so repeated exports never overwrite each other. */
function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, 'Z');
}

function fairnessOf(method: string, value: unknown): FairnessRequest[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 10)
    throw new AuditWsError('BAD_USAGE', `${method}: "fairness" must be a list of at most 10 analyses`);
  return value.map((v, i) => {
    const p = expectParams(`${method} fairness[${i}]`, v, [
      'attribute',
      'positivePrediction',
      'positiveOutcome',
      'reference',
      'minGroup',
      'modelId',
    ]);
    const r: FairnessRequest = {
      attribute: requireString(method, p, 'attribute', 300),
      positivePrediction: requireString(method, p, 'positivePrediction', 300),
    };
    for (const k of ['positiveOutcome', 'reference', 'modelId'] as const) {
      const s = optionalString(method, p, k, 300);
      if (s) r[k] = s;
    }
    if (typeof p.minGroup === 'number' && Number.isInteger(p.minGroup) && p.minGroup > 0) r.minGroup = p.minGroup;
    return r;
  });
}

export const reportHandlers = {
  'report.options': {
    parse: (params) => ({ case: caseParam('report.options', expectParams('report.options', params, ['case'])) }),
    run: async ({ case: c }, context) => {
      const session = sessionFor(context);
      const dir = session.cases.workspace.locate(c);
      return {
        formats: [...REPORT_FORMATS],
        exportsDir: path.join(dir, 'exports'),
        exporters: exporters.map((e) => ({
          name: e.name,
          description: e.description,
          params: e.params.map((p) => ({ ...p })),
        })),
      };
    },
  },
  'report.start': {
    parse: (params) => {
      const m = 'report.start';
      const p = expectParams(m, params, ['case', 'outDir', 'formats', 'fairness', 'timelines']);
      const out: {
        case: string;
        outDir?: string;
        formats: ReportFormat[];
        fairness: FairnessRequest[];
        timelines?: string[];
      } = {
        case: caseParam(m, p),
        formats: formatsOf(m, p, ['pdf', 'html', 'json', 'csv']),
        fairness: fairnessOf(m, p.fairness),
      };
      if (p.outDir !== undefined) out.outDir = requireAbsolutePath(m, p, 'outDir');
      if (p.timelines !== undefined) out.timelines = stringArray(m, p, 'timelines', 50, 300);
      return out;
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      const slug = session.cases.slugOf(params.case);
      refuseBusy(session, slug);
      const outDir = params.outDir ?? path.join(session.cases.workspace.locate(slug), 'exports', `report-${stamp()}`);
      const formats = params.formats ?? ['pdf', 'html', 'json', 'csv'];
      return session.jobs.start({ kind: 'report', title: `Report of ${caseName(session, slug)}`, case: slug }, (job) =>
        session.cases.use(slug, async (handle) => {
          job.progress({ phase: `assembling the report (${formats.join(', ')})`, detail: outDir });
          const { reportCustody, writeReport } = await reportWriter();
          const { reportDataSha256 } = await import('../../report/assemble.ts');
          const written = await writeReport(handle, {
            outDir,
            formats,
            ...(context.pdf ? { pdf: context.pdf } : {}),
            signal: job.signal,
            fairness: params.fairness ?? [],
            ...(params.timelines ? { timelines: params.timelines } : {}),
            beforePublish: (w) => handle.custody('report.written', reportCustody(outDir, formats, w)),
          });
          return { outDir, files: written.files, reportDataSha256: reportDataSha256(written.data) };
        }),
      );
    },
  },
  'package.start': {
    parse: (params) => {
      const m = 'package.start';
      const p = expectParams(m, params, [
        'case',
        'out',
        'decisionIds',
        'select',
        'related',
        'formats',
        'signingKeyFile',
      ]);
      const decisionIds = stringArray(m, p, 'decisionIds', 100_000, 300);
      const select = optionalString(m, p, 'select', 4000);
      if (decisionIds.length > 0 === (select !== undefined)) {
        throw new AuditWsError('BAD_USAGE', `${m}: choose the records by decision ids or by a condition (one of them)`);
      }
      const out: {
        case: string;
        out?: string;
        decisionIds?: string[];
        select?: string;
        related: boolean;
        formats: ReportFormat[];
        signingKeyFile?: string;
      } = {
        case: caseParam(m, p),
        related: optionalBoolean(m, p, 'related') ?? true,
        formats:
          p.formats !== undefined && Array.isArray(p.formats) && p.formats.length === 0
            ? []
            : formatsOf(m, p, ['html', 'json', 'csv']),
      };
      if (decisionIds.length > 0) out.decisionIds = decisionIds;
      if (select !== undefined) out.select = select;
      if (p.out !== undefined) out.out = requireAbsolutePath(m, p, 'out');
      if (p.signingKeyFile !== undefined) out.signingKeyFile = requireAbsolutePath(m, p, 'signingKeyFile');
      return out;
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      const slug = session.cases.slugOf(params.case);
      refuseBusy(session, slug);
      const outFile =
        params.out ?? path.join(session.cases.workspace.locate(slug), 'exports', `package-${stamp()}.zip`);
      const formats = params.formats ?? ['html', 'json', 'csv'];
      if (existsSync(outFile))
        throw new AuditWsError('BAD_USAGE', `${outFile} already exists: choose another file name`, { file: outFile });
      return session.jobs.start(
        { kind: 'package', title: `Evidence package of ${caseName(session, slug)}`, case: slug },
        (job) =>
          session.cases.use(slug, async (handle) => {
            job.progress({ phase: 'gathering the records, proofs and checkpoints', detail: outFile });
            const selection = params.decisionIds
              ? { decisionIds: params.decisionIds, related: params.related }
              : { select: params.select, related: params.related };
            const result = await writeEvidencePackage(handle, {
              out: outFile,
              selection,
              signal: job.signal,
              ...(params.signingKeyFile ? { signingKeyFile: params.signingKeyFile } : {}),
              makeReport: formats.length
                ? async (ids) => {
                    job.progress({ phase: `writing the report (${formats.join(', ')})`, detail: outFile });
                    const { reportPackageFiles } = await reportWriter();
                    return reportPackageFiles(handle, { decisionIds: ids }, formats, handle.tempDir(), context.pdf);
                  }
                : undefined,
            });
            return {
              file: result.file,
              sha256: result.sha256,
              sumsSha256: result.sumsSha256,
              files: result.files,
              records: result.manifest.records,
            };
          }),
      );
    },
  },
  'package.verify': {
    parse: (params) => {
      const m = 'package.verify';
      const p = expectParams(m, params, ['path', 'trustKeys', 'trustTsa']);
      return {
        path: requireAbsolutePath(m, p, 'path'),
        trustKeys: stringArray(m, p, 'trustKeys', 50),
        trustTsa: stringArray(m, p, 'trustTsa', 50),
      };
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      return session.jobs.start(
        { kind: 'package', title: `Check evidence package ${path.basename(params.path)}` },
        async () => verifyEvidencePackage(params.path, { trustKeys: params.trustKeys, trustTsa: params.trustTsa }),
      );
    },
  },
  'export.csv': {
    parse: (params) => {
      const m = 'export.csv';
      const p = expectParams(m, params, ['case', 'exporter', 'params', 'out']);
      const raw = p.params ?? {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new AuditWsError('BAD_USAGE', `${m}: "params" must be an object of texts`);
      const textParams: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string')
          throw new AuditWsError('BAD_USAGE', `${m}: parameter "${k}" must be text`, { member: `params.${k}` });
        if (v !== '') textParams[k] = v;
      }
      const out: { case: string; exporter: string; params: Record<string, string>; out?: string } = {
        case: caseParam(m, p),
        exporter: requireString(m, p, 'exporter', 100),
        params: textParams,
      };
      if (p.out !== undefined) out.out = requireAbsolutePath(m, p, 'out');
      return out;
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      const slug = session.cases.slugOf(params.case);
      refuseBusy(session, slug);
      const exporter = exporterNamed(params.exporter);
      const outFile =
        params.out ?? path.join(session.cases.workspace.locate(slug), 'exports', `${exporter.name}-${stamp()}.csv`);
      return session.jobs.start({ kind: 'report', title: `CSV export: ${exporter.name}`, case: slug }, (job) =>
        session.cases.use(slug, async (handle) => {
          job.progress({ phase: 'writing rows', detail: outFile });
          return exportCsv(exporter, { duck: handle.duck, sqlite: handle.sqlite }, params.params ?? {}, outFile, {
            caseName: handle.info().name,
            actor: handle.actor,
            beforePublish: (result) => {
              // Cancelled while writing: the export does not appear at all (no file, no custody entry).
              if (job.signal.aborted) {
                throw new AuditWsError('CANCELLED', 'the CSV export was cancelled: no file was written');
              }
              handle.custody('export.csv', csvExportCustody(result));
            },
          });
        }),
      );
    },
  },
} satisfies Partial<HandlerTable>;
