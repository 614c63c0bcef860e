/**
 * Appendix: the SHA-256 of every input file the case imported (what the findings rest on), the
 * SHA-256 of the report data (findings.json, computed as stated below so anyone can recompute it),
 * and the custody log with its verification.
 */
import type { CustodyExcerptEntry } from '../../package/format.ts';
import { custodyExcerptFor, identifiersOfDecisions } from '../../package/from-case.ts';
import type { ReportContext } from '../context.ts';
import { checkCustodyLog } from '../custody-log.ts';
import type { CustodyProblem } from '../custody-log.ts';
import { fmtInt, fmtTime, html, table } from '../html-kit.ts';
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
  custody: { entries: CustodyExcerptEntry[]; intact: boolean; problems: CustodyProblem[]; headHash: string | null; withheld: number };
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
  ).filter((f, i, all) => i === 0 || f.archive !== all[i - 1].archive || f.path !== all[i - 1].path || f.sha256 !== all[i - 1].sha256);
  const checked = checkCustodyLog(ctx.handle.sqlite);
  let entries: CustodyExcerptEntry[] = checked.entries.map((e) => ({ ...e }));
  if (ctx.scope) entries = await custodyExcerptFor(ctx.handle, await identifiersOfDecisions(ctx.handle, [...ctx.scope]));
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

function detailsText(e: CustodyExcerptEntry): string {
  if (e.details === undefined) return `(details withheld: ${e.detailsWithheld})`;
  const s = JSON.stringify(e.details);
  return s.length > 400 ? `${s.slice(0, 397)}...` : s;
}

export function renderAppendix(d: AppendixData, n: number): Html {
  return html`<section id="appendix"><h2>${n}. Appendix</h2>
<h3>${n}.1 Report data</h3>
<p>The facts of this report are in <code>findings.json</code>. Its SHA-256 is <span class="mono break">${d.reportDataSha256}</span>, computed as the ${d.reportDataRule}.</p>
<h3>${n}.2 Input files (${fmtInt(d.inputFiles.length)})</h3>
<p>Every file the case imported, with the SHA-256 taken when it was read. Anyone holding the archives can recompute these with <code>sha256sum</code>.</p>
${table(
  [
    { head: 'File', cell: (f) => f.path, cls: 'wrap', width: '34%' },
    { head: 'Role', cell: (f) => f.role },
    { head: 'Bytes', cell: (f) => fmtInt(f.size), cls: 'num' },
    { head: 'SHA-256', cell: (f) => f.sha256, cls: 'mono hashcol' },
  ],
  d.inputFiles,
  { cls: 'small', empty: 'No input files.' },
)}
<p class="muted">Archives: ${[...new Set(d.inputFiles.map((f) => f.archive))].join('; ')}</p>
<h3>${n}.3 Custody log</h3>
<p class="callout ${d.custody.intact ? 'ok' : 'bad'}">${
    d.custody.intact
      ? `The custody log verifies: ${fmtInt(d.custody.entries.length)} entries, each hash re-computed (jcs-sha256-v1) and each linked to the one before; head ${d.custody.headHash ?? 'none'}.`
      : `The custody log does NOT verify: ${d.custody.problems.map((p) => p.message).join('; ')}`
  }${d.custody.withheld ? ` The details of ${fmtInt(d.custody.withheld)} entries name records outside this package and are withheld; their hashes and links are shown.` : ''}</p>
${table(
  [
    { head: 'Seq', cell: (e) => fmtInt(e.seq), cls: 'num' },
    { head: 'When', cell: (e) => fmtTime(e.at) },
    { head: 'Who', cell: (e) => e.actor },
    { head: 'Action', cell: (e) => e.action, cls: 'mono' },
    { head: 'Details', cell: (e) => detailsText(e), cls: 'wrap small' },
    { head: 'Hash', cell: (e) => html`<span class="mono">${e.hash.slice(0, 16)}…</span>` },
  ],
  d.custody.entries,
  { cls: 'small' },
)}
</section>`;
}
