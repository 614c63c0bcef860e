/**
 * Appendix: the SHA-256 of every input file the case imported (what the findings rest on), the
 * SHA-256 of the report data (findings.json, computed as stated below so anyone can recompute it),
 * and the custody log with its verification.
 */
import { createHash } from 'node:crypto';
import type { CustodyExcerptEntry } from '../../package/format.ts';
import { custodyExcerptFor } from '../../package/from-case.ts';
import type { ReportContext } from '../context.ts';
import { shown } from '../context.ts';
import { checkCustodyLog } from '../custody-log.ts';
import type { CustodyProblem } from '../custody-log.ts';
import { fmtInt, html, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';

export interface InputFile {
  archive: string;
  path: string;
  role: string;
  size: number;
  sha256: string;
  importId: number;
}

export interface AppendixData {
  inputFiles: InputFile[];
  custody: {
    entries: CustodyExcerptEntry[];
    intact: boolean;
    problems: CustodyProblem[];
    headHash: string | null;
    withheld: number;
  };
  /** SHA-256 (hex) of the JCS canonical form of findings.json without this member; set last. */
  reportDataSha256: string;
  reportDataRule: string;
}

export const REPORT_DATA_RULE =
  'SHA-256 of the RFC 8785 (JCS) canonical JSON of findings.json with the member appendix.reportDataSha256 removed and null members dropped (the jcs-sha256-v1 rule)';

export async function collectAppendix(ctx: ReportContext): Promise<AppendixData> {
  const inputFiles = (
    ctx.handle.sqlite
      .prepare(
        `SELECT s.archive, s.path, s.role, s.size, s.sha256, s.import_id AS importId FROM source_files s
         JOIN imports i ON i.id = s.import_id AND i.status = 'done' ORDER BY s.archive, s.path, s.id`,
      )
      .all() as InputFile[]
  )
    .filter(
      (f, i, all) =>
        i === 0 || f.archive !== all[i - 1].archive || f.path !== all[i - 1].path || f.sha256 !== all[i - 1].sha256,
    )
    .map((f) => ({ ...f, path: shown(ctx, f.path) }));
  const checked = checkCustodyLog(ctx.handle.sqlite);
  let entries: CustodyExcerptEntry[] = checked.entries.map((e) => ({ ...e }));
  if (ctx.disclosed) entries = await custodyExcerptFor(ctx.handle, ctx.disclosed);
  return {
    inputFiles,
    custody: {
      entries,
      intact: checked.intact,
      problems: checked.problems,
      headHash: checked.headHash,
      withheld: entries.filter((e) => e.details === undefined).length,
    },
    reportDataSha256: '',
    reportDataRule: REPORT_DATA_RULE,
  };
}

/** A custody entry's details for people: scalars as they are, long lists counted (the full entry is in findings.json and custody.csv). */
export function detailsText(e: CustodyExcerptEntry): string {
  if (e.details === undefined) return `(details withheld: ${e.detailsWithheld})`;
  const show = (v: unknown): string => {
    if (Array.isArray(v))
      return v.length <= 3 && v.every((x) => typeof x !== 'object' || x === null)
        ? v.map(String).join(', ')
        : `[${v.length} items]`;
    if (v !== null && typeof v === 'object') {
      const inner = Object.entries(v as Record<string, unknown>).map(
        ([k, x]) =>
          `${k}: ${typeof x === 'object' && x !== null ? (Array.isArray(x) ? `[${x.length}]` : '{…}') : String(x)}`,
      );
      return `{${inner.join(', ')}}`;
    }
    return String(v);
  };
  const text = Object.entries(e.details)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join('; ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

const ROLE_LABEL: Record<string, string> = {
  'checkpoint-signature': 'signature',
  'checkpoint-timestamp': 'time-stamp',
};

/**
 * Past this many rows the explanation artefacts are summarised (count, bytes, digest of their sha256sum-style
 * list) instead of listed: a 10M-decision case has 100,000+ of them, a page Chromium cannot print. The full
 * list stays in findings.json.
 */
const MAX_LISTED_INPUT_FILES = 2000;

function summariseExplanations(files: InputFile[]): { listed: InputFile[]; summary?: string } {
  if (files.length <= MAX_LISTED_INPUT_FILES) return { listed: files };
  const explanations = files.filter((f) => f.role === 'explanation');
  if (explanations.length === 0) return { listed: files };
  const sums = explanations
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .sort()
    .join('');
  const bytes = explanations.reduce((t, f) => t + Number(f.size), 0);
  return {
    listed: files.filter((f) => f.role !== 'explanation'),
    summary: `${fmtInt(explanations.length)} explanation artefacts (${fmtInt(bytes)} bytes) are not listed here; each is in findings.json (appendix.inputFiles) with its SHA-256. The SHA-256 of their list, one "sha256  path" line each in sorted order as sha256sum prints it, is ${createHash('sha256').update(sums).digest('hex')}.`,
  };
}

export function renderAppendix(d: AppendixData, n: number): Html {
  const { listed, summary } = summariseExplanations(d.inputFiles);
  return html`<section id="appendix">
    <h2>${n}. Appendix</h2>
    <h3>${n}.1 Report data</h3>
    <p>
      The facts of this report are in <code>findings.json</code>. Its SHA-256 is
      <span class="mono break">${d.reportDataSha256}</span>, computed as the ${d.reportDataRule}.
    </p>
    <h3>${n}.2 Input files (${fmtInt(d.inputFiles.length)})</h3>
    <p>
      Every file the case imported, with the SHA-256 taken when it was read. Anyone holding the archives can recompute
      these with <code>sha256sum</code>.
    </p>
    ${table(
      [
        { head: 'File', cell: (f) => f.path, cls: 'wrap', width: '36%' },
        { head: 'Role', cell: (f) => ROLE_LABEL[f.role] ?? f.role, width: '10%' },
        { head: 'Bytes', cell: (f) => fmtInt(f.size), cls: 'num', width: '8%' },
        { head: 'SHA-256', cell: (f) => f.sha256, cls: 'mono hashcol', width: '46%' },
      ],
      listed,
      { cls: 'small', empty: 'No input files.' },
    )}
    ${summary ? html`<p>${summary}</p>` : ''}
    <p class="muted">Archives: ${[...new Set(d.inputFiles.map((f) => f.archive))].join('; ')}</p>
    <h3>${n}.3 Custody log</h3>
    <p class="callout ${d.custody.intact ? 'ok' : 'bad'}">
      ${
        d.custody.intact
          ? `The custody log verifies: ${fmtInt(d.custody.entries.length)} entries, each hash re-computed (jcs-sha256-v1) and each linked to the one before; head ${d.custody.headHash ?? 'none'}.`
          : `The custody log does NOT verify: ${d.custody.problems.map((p) => p.message).join('; ')}`
      }${d.custody.withheld ? ` The details of ${fmtInt(d.custody.withheld)} entries name records outside this package and are withheld; their hashes and links are shown.` : ''}
    </p>
    ${table(
      [
        { head: 'Seq', cell: (e) => fmtInt(e.seq), cls: 'num', width: '5%' },
        {
          head: 'When (UTC)',
          cell: (e) => html`${e.at.slice(0, 10)}<br />${e.at.slice(11, 19)}`,
          cls: 'nowrap',
          width: '11%',
        },
        { head: 'Who', cell: (e) => e.actor, width: '12%' },
        { head: 'Action', cell: (e) => e.action, cls: 'mono nowrap', width: '14%' },
        { head: 'Details', cell: (e) => detailsText(e), cls: 'wrap small' },
        {
          head: 'Hash',
          cell: (e) => html`<span class="mono">${e.hash.slice(0, 12)}…</span>`,
          cls: 'nowrap',
          width: '13%',
        },
      ],
      d.custody.entries,
      { cls: 'small' },
    )}
  </section>`;
}
