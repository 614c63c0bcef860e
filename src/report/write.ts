/**
 * `audit-ws report`: assembles the report data once and writes it in the formats asked for:
 * findings.json (the data), report.html (the template), report.pdf (the same HTML printed by
 * Chromium) and csv/*.csv with sidecars (the report's tables). Files are written into a staging
 * folder and moved into place together, so a failed PDF leaves no half-written set behind.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { CaseHandle } from '../case/store.ts';
import { diskError, makeOutputFolder } from '../case/fs-errors.ts';
import { makeStagingDir, removeStaleStagingDirs } from '../case/part-files.ts';
import { AuditWsError } from '../errors.ts';
import type { CsvValue } from '../export/csv.ts';
import { writeCsvFile } from '../export/run.ts';
import type { PackageFile } from '../package/build.ts';
import { assembleReportData } from './assemble.ts';
import type { ReportData } from './assemble.ts';
import type { ReportOptions } from './context.ts';
import { renderReportHtml } from './document.ts';
import { renderPdf, type PdfRenderer } from './pdf.ts';
import { reportTables } from './tables.ts';

export const REPORT_FORMATS = ['pdf', 'html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function parseFormats(text: string): ReportFormat[] {
  const list = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const f of list) {
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
      throw new AuditWsError('BAD_USAGE', `unknown report format "${f}"; choose from ${REPORT_FORMATS.join(', ')}`);
    }
  }
  if (list.length === 0) throw new AuditWsError('BAD_USAGE', 'give at least one report format');
  return [...new Set(list)] as ReportFormat[];
}

export interface WrittenReport {
  data: ReportData;
  files: { path: string; bytes: number; sha256: string }[];
}

/**
 * Writes the report files of already-assembled data into `dir` (which must exist). `pdf` prints the PDF: the
 * host's renderer (Electron's printToPDF in the desktop app), else the system Chromium through playwright-core.
 */
export async function writeReportFiles(
  data: ReportData,
  dir: string,
  formats: readonly ReportFormat[],
  pdf: PdfRenderer = renderPdf,
): Promise<void> {
  const html = renderReportHtml(data);
  if (formats.includes('json')) writeFileSync(path.join(dir, 'findings.json'), `${JSON.stringify(data, null, 2)}\n`);
  if (formats.includes('html')) writeFileSync(path.join(dir, 'report.html'), html);
  if (formats.includes('pdf')) {
    const bytes = await pdf(html, {
      footerText: `${data.cover.caseName} · AI audit report · ${data.generatedAt.slice(0, 10)}`,
    });
    writeFileSync(path.join(dir, 'report.pdf'), bytes);
  }
  if (formats.includes('csv')) {
    const csvDir = path.join(dir, 'csv');
    mkdirSync(csvDir, { recursive: true });
    for (const t of reportTables(data)) {
      await writeCsvFile(
        path.join(csvDir, `${t.name}.csv`),
        {
          query: `report.${t.name}`,
          description: t.description,
          parameters: { case: data.cover.caseSlug, reportGeneratedAt: data.generatedAt },
        },
        t.columns,
        t.rows as readonly (readonly CsvValue[])[],
        { caseName: data.cover.caseName, actor: data.cover.investigator, now: new Date(data.generatedAt) },
      );
    }
  }
}

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(path.join(dir, p)).isDirectory() ? listFiles(dir, p) : [p];
  });
}

/** The custody entry of a written report (`report.written`), the same from the CLI and the app. */
export function reportCustody(outDir: string, formats: readonly ReportFormat[], written: WrittenReport) {
  return {
    out: path.resolve(outDir),
    formats: [...formats],
    // The CSV tables' sidecars describe their CSV files, which are listed with their digests.
    files: written.files.filter((f) => !f.path.endsWith('.csv.json')).map((f) => ({ path: f.path, sha256: f.sha256 })),
    reportDataSha256: written.data.appendix.reportDataSha256,
    verificationRun: written.data.integrity.run?.id ?? null,
  };
}

export async function writeReport(
  handle: CaseHandle,
  options: ReportOptions & {
    outDir: string;
    formats: readonly ReportFormat[];
    pdf?: PdfRenderer;
    /** Cancels the report: nothing is moved into `outDir` once it is aborted (checked between the steps). */
    signal?: AbortSignal;
    /**
     * Called once every file is complete in the staging folder, before any is moved into `outDir`: the
     * custody entry is written here, so no report appears that the custody log does not name. If it
     * throws, nothing is moved.
     */
    beforePublish?: (written: WrittenReport) => void;
  },
): Promise<WrittenReport> {
  const stopIfCancelled = () => {
    if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'the report was cancelled: no file was written');
  };
  const data = await assembleReportData(handle, options);
  stopIfCancelled();
  const outDir = path.resolve(options.outDir);
  const existed = existsSync(outDir);
  makeOutputFolder(outDir, 'the report', outDir, 'writing the report (no report file was written)');
  // The staging folders of report writers that were killed (their pid is in the name, the process is gone).
  removeStaleStagingDirs(outDir, 'report');
  const staging = makeStagingDir(outDir, 'report');
  try {
    await writeReportFiles(data, staging, options.formats, options.pdf);
    stopIfCancelled();
    const files = listFiles(staging).sort();
    const written: WrittenReport = {
      data,
      files: files.map((f) => {
        const bytes = readFileSync(path.join(staging, f));
        return { path: f, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    };
    options.beforePublish?.(written);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(outDir, f)), { recursive: true });
      renameSync(path.join(staging, f), path.join(outDir, f));
    }
    return written;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existed) rmSync(outDir, { recursive: true, force: true });
    throw diskError(err, outDir, 'writing the report (no report file was written)');
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The report files of a package scope, in memory, for the evidence package writer. */
export async function reportPackageFiles(
  handle: CaseHandle,
  options: ReportOptions,
  formats: readonly ReportFormat[],
  tempParent: string,
  pdf?: PdfRenderer,
): Promise<PackageFile[]> {
  const data = await assembleReportData(handle, options);
  const dir = mkdtempSync(path.join(tempParent, 'package-report-'));
  try {
    await writeReportFiles(data, dir, formats, pdf);
    return listFiles(dir)
      .sort()
      .map((f) => ({ path: f, bytes: readFileSync(path.join(dir, f)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
