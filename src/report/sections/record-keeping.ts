/**
 * Record-keeping coverage: how far the logs do what the EU AI Act asks of them. Article 12(2) wants
 * logging that makes it possible to (a) identify situations that may make the system present a risk
 * (Article 79(1)) or that amount to a substantial modification, (b) facilitate post-market monitoring
 * (Article 72), and (c) monitor the operation of high-risk systems (Article 26(5)). Articles 19(1) and
 * 26(6) require the logs to be kept for at least six months. The law names no fields; the mapping of
 * decision-log members to these purposes is this workstation's reading and is stated as such. Shares
 * count records in which the member is present and not null.
 */
import { KIND_TABLES, memberColumns, quoteIdent } from '../../case/evidence-schema.ts';
import type { ReportContext } from '../context.ts';
import { badge, facts, fmtInt, fmtPct, fmtTime, html, table } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import { barChart } from '../charts.ts';
import type { IntegrityData } from './integrity.ts';
import type { CoverData } from './cover.ts';

export type Purpose = '12(2)(a)' | '12(2)(b)' | '12(2)(c)';

export const PURPOSES: { id: Purpose; title: string; text: string }[] = [
  {
    id: '12(2)(a)',
    title: 'Risk situations and substantial modifications',
    text: 'identifying situations that may result in the system presenting a risk within the meaning of Article 79(1), or in a substantial modification',
  },
  {
    id: '12(2)(b)',
    title: 'Post-market monitoring',
    text: 'facilitating the post-market monitoring referred to in Article 72',
  },
  {
    id: '12(2)(c)',
    title: 'Monitoring of operation by the deployer',
    text: 'monitoring the operation of high-risk AI systems referred to in Article 26(5)',
  },
];

/** The decision-log members this workstation treats as required, and the purposes each serves. */
export const DECISION_FIELD_PURPOSES: Record<string, { required: boolean; purposes: Purpose[] }> = {
  traceId: { required: true, purposes: ['12(2)(b)', '12(2)(c)'] },
  decisionId: { required: true, purposes: ['12(2)(a)', '12(2)(b)', '12(2)(c)'] },
  timestamp: { required: true, purposes: ['12(2)(a)', '12(2)(b)', '12(2)(c)'] },
  modelId: { required: true, purposes: ['12(2)(a)', '12(2)(b)'] },
  modelVersion: { required: true, purposes: ['12(2)(a)', '12(2)(b)'] },
  modelChecksum: { required: true, purposes: ['12(2)(a)'] },
  riskTier: { required: true, purposes: ['12(2)(a)'] },
  inputHash: { required: true, purposes: ['12(2)(a)', '12(2)(b)'] },
  inputFeatures: { required: false, purposes: ['12(2)(a)', '12(2)(b)'] },
  featureStoreVersion: { required: false, purposes: ['12(2)(a)'] },
  contextData: { required: false, purposes: ['12(2)(b)'] },
  prediction: { required: true, purposes: ['12(2)(a)', '12(2)(b)'] },
  confidence: { required: true, purposes: ['12(2)(a)', '12(2)(b)'] },
  alternativePredictions: { required: false, purposes: ['12(2)(b)'] },
  explanationRef: { required: false, purposes: ['12(2)(a)', '12(2)(c)'] },
  humanReviewRequired: { required: true, purposes: ['12(2)(c)'] },
  humanReviewed: { required: true, purposes: ['12(2)(c)'] },
  humanOverride: { required: true, purposes: ['12(2)(c)'] },
  humanReviewerId: { required: false, purposes: ['12(2)(c)'] },
  humanDecision: { required: false, purposes: ['12(2)(c)'] },
  overrideReason: { required: false, purposes: ['12(2)(c)'] },
  affectedUserId: { required: true, purposes: ['12(2)(a)', '12(2)(c)'] },
  decisionCategory: { required: false, purposes: ['12(2)(b)'] },
  consequenceLevel: { required: true, purposes: ['12(2)(a)'] },
  latencyMs: { required: false, purposes: ['12(2)(b)'] },
  tokenUsage: { required: false, purposes: ['12(2)(b)'] },
  environment: { required: true, purposes: ['12(2)(b)', '12(2)(c)'] },
  taskId: { required: false, purposes: ['12(2)(c)'] },
  promptVersion: { required: false, purposes: ['12(2)(a)'] },
  seq: { required: true, purposes: ['12(2)(a)', '12(2)(b)', '12(2)(c)'] },
  prevHash: { required: true, purposes: ['12(2)(a)', '12(2)(b)', '12(2)(c)'] },
  hash: { required: true, purposes: ['12(2)(a)', '12(2)(b)', '12(2)(c)'] },
};

export interface FieldCoverage {
  member: string;
  required: boolean;
  purposes: Purpose[];
  present: number;
  share: number | null;
}

export interface RecordKeepingData {
  decisions: number;
  fields: FieldCoverage[];
  purposes: {
    id: Purpose;
    title: string;
    text: string;
    fields: string[];
    lowestShare: number | null;
    lowestField: string | null;
  }[];
  /** Share of decisions with every required member present. */
  completeRecords: number;
  completeShare: number | null;
  related: {
    reviews: number;
    outcomes: number;
    lifecycle: number;
    decisionsWithOutcome: number;
    outcomeShare: number | null;
  };
  retention: {
    policy: string | null;
    spanDays: number | null;
    oldest: string | null;
    newest: string | null;
    storageFindings: number;
    statement: string;
  };
}

export async function collectRecordKeeping(
  ctx: ReportContext,
  cover: CoverData,
  integrity: IntegrityData,
): Promise<RecordKeepingData> {
  const cols = memberColumns('decision').filter((c) => DECISION_FIELD_PURPOSES[c.member]);
  const required = cols.filter((c) => DECISION_FIELD_PURPOSES[c.member].required);
  const presentOf = (c: (typeof cols)[number]): string => `${quoteIdent(c.textColumn ?? c.column)} IS NOT NULL`;
  const sql = `SELECT count(*) AS n, ${cols.map((c) => `count_if(${presentOf(c)}) AS ${quoteIdent(c.member)}`).join(', ')},
    count_if(${required.map(presentOf).join(' AND ')}) AS complete FROM ${KIND_TABLES.decision}`;
  const row = (await ctx.handle.duck.runAndReadAll(sql)).getRowObjectsJS()[0];
  const n = Number(row.n);
  const share = (k: number): number | null => (n > 0 ? k / n : null);
  const fields: FieldCoverage[] = cols.map((c) => {
    const p = DECISION_FIELD_PURPOSES[c.member];
    const present = Number(row[c.member]);
    return { member: c.member, required: p.required, purposes: p.purposes, present, share: share(present) };
  });
  const purposes = PURPOSES.map((p) => {
    const mine = fields.filter((f) => f.purposes.includes(p.id) && f.required);
    const lowest = mine.reduce<FieldCoverage | null>(
      (lo, f) => (lo === null || (f.share ?? 0) < (lo.share ?? 0) ? f : lo),
      null,
    );
    return {
      ...p,
      fields: mine.map((f) => f.member),
      lowestShare: lowest?.share ?? null,
      lowestField: lowest?.member ?? null,
    };
  });
  const rel = (
    await ctx.handle.duck.runAndReadAll(
      `SELECT count(DISTINCT d.decision_id) FROM ${KIND_TABLES.decision} d WHERE d.decision_id IN (SELECT decision_id FROM ${KIND_TABLES.outcome})`,
    )
  ).getRowsJS()[0][0];
  const withOutcome = Number(rel);
  const distinctDecisions = Number(
    (
      await ctx.handle.duck.runAndReadAll(`SELECT count(DISTINCT decision_id) FROM ${KIND_TABLES.decision}`)
    ).getRowsJS()[0][0],
  );

  const oldest = cover.period.from;
  const newest = cover.period.to;
  const spanDays = oldest && newest ? (Date.parse(newest) - Date.parse(oldest)) / 86_400_000 : null;
  const storageProblems = integrity.storage.filter((f) => f.status !== 'pass').length;
  const policy = integrity.run?.retention ?? null;
  let statement: string;
  if (!integrity.run)
    statement = 'Not assessed: no verification run, so the storage and retention of the archives were not checked.';
  else if (storageProblems > 0)
    statement = `The verification run found ${storageProblems} storage finding(s) (manifest, Object Lock or retention; listed in section 2): retention for the required period is not demonstrated for every object.`;
  else
    statement = `The verification run found no manifest, Object Lock or retention finding under the policy "${policy}". Articles 19(1) and 26(6) require at least six months; the archives span ${spanDays === null ? 'an unknown period' : `${spanDays.toFixed(1)} days`} of decisions.`;

  return {
    decisions: n,
    fields,
    purposes,
    completeRecords: Number(row.complete),
    completeShare: share(Number(row.complete)),
    related: {
      reviews: cover.records.review,
      outcomes: cover.records.outcome,
      lifecycle: cover.records.lifecycle,
      decisionsWithOutcome: withOutcome,
      outcomeShare: distinctDecisions > 0 ? withOutcome / distinctDecisions : null,
    },
    retention: { policy, spanDays, oldest, newest, storageFindings: storageProblems, statement },
  };
}

export function renderRecordKeeping(d: RecordKeepingData): Html {
  const tone = (s: number | null): 'ok' | 'warn' | 'bad' =>
    s === null ? 'bad' : s >= 0.999 ? 'ok' : s >= 0.9 ? 'warn' : 'bad';
  return html`<section id="record-keeping">
    <h2>3. Record-keeping coverage (EU AI Act Articles 12, 19 and 26(6))</h2>
    <p>
      Article 12(2) asks that the logs make three things possible. The Act names no fields; the table below is this
      workstation's mapping of decision-log members to those purposes, and for each member the share of the
      ${fmtInt(d.decisions)} decisions in which it is present.
    </p>
    ${table(
      [
        { head: 'Article', cell: (p) => p.id, width: '11%' },
        {
          head: 'Purpose',
          cell: (p) => html`<strong>${p.title}</strong><br /><span class="muted">${p.text}</span>`,
          cls: 'wrap',
        },
        { head: 'Required members', cell: (p) => p.fields.join(', '), cls: 'wrap' },
        {
          head: 'Coverage',
          cell: (p) =>
            p.lowestField === null
              ? '–'
              : (p.lowestShare ?? 0) >= 0.999
                ? badge('all present', 'ok')
                : html`weakest: ${p.lowestField} ${badge(fmtPct(p.lowestShare), tone(p.lowestShare))}`,
        },
      ],
      d.purposes,
    )}
    ${facts([
      [
        'Decisions with every required member',
        `${fmtInt(d.completeRecords)} of ${fmtInt(d.decisions)} (${fmtPct(d.completeShare)})`,
      ],
      [
        'Related records',
        `${fmtInt(d.related.reviews)} review events, ${fmtInt(d.related.outcomes)} outcomes (${fmtInt(d.related.decisionsWithOutcome)} decisions, ${fmtPct(d.related.outcomeShare)}, have an observed outcome), ${fmtInt(d.related.lifecycle)} model lifecycle events`,
      ],
      ['Retention (Art. 19(1), 26(6))', d.retention.statement],
      ['Oldest and newest decision', `${fmtTime(d.retention.oldest)} and ${fmtTime(d.retention.newest)}`],
    ])}
    ${barChart(
      d.fields.map((f) => ({
        label: `${f.member}${f.required ? ' *' : ''}`,
        value: f.share,
        flagged: f.required && (f.share ?? 0) < 0.999,
        note: fmtPct(f.share),
      })),
      {
        max: 1,
        format: (v) => fmtPct(v),
        title:
          'Share of decisions in which each member is present (* required; red: a required member is missing somewhere)',
      },
    )}
    ${table(
      [
        { head: 'Member', cell: (f) => f.member, cls: 'mono' },
        { head: 'Required', cell: (f) => (f.required ? 'yes' : 'no') },
        { head: 'Serves', cell: (f) => f.purposes.join(', ') },
        { head: 'Present in', cell: (f) => fmtInt(f.present), cls: 'num' },
        { head: 'Share', cell: (f) => badge(fmtPct(f.share), f.required ? tone(f.share) : 'info'), cls: 'num' },
      ],
      d.fields,
    )}
  </section>`;
}
