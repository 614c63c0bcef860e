/**
 * Executive summary: the verdict and the few findings a reader must not miss, each pointing to the
 * section that holds the detail. Built only from the other sections' data: it adds no figure.
 */
import { badge, fmtInt, fmtPct, fmtTime, html, join, table } from '../html-kit.ts';
import type { Html, Tone } from '../html-kit.ts';
import type { AnomaliesData } from './anomalies.ts';
import type { AppendixData } from './appendix.ts';
import type { CoverData } from './cover.ts';
import type { FairnessData } from './fairness.ts';
import type { IntegrityData } from './integrity.ts';
import type { OversightData } from './oversight.ts';
import { fairnessHeadlines } from './fairness.ts';
import { oversightHeadlines } from './oversight.ts';
import type { RecordKeepingData } from './record-keeping.ts';

export interface Headline {
  tone: Tone;
  title: string;
  detail: string;
  section: string;
}

export interface SummaryData {
  verdict: string;
  verdictReason: string;
  headlines: Headline[];
  /** Key figures, each from the section named. */
  figures: { label: string; value: string; section: string }[];
}

export function collectSummary(parts: {
  cover: CoverData;
  integrity: IntegrityData;
  recordKeeping: RecordKeepingData;
  oversight: OversightData;
  anomalies: AnomaliesData;
  fairness: FairnessData;
  appendix: AppendixData;
}): SummaryData {
  const { integrity, recordKeeping, anomalies, appendix } = parts;
  const h: Headline[] = [];
  if (!integrity.run) {
    h.push({
      tone: 'bad',
      title: 'Integrity not established',
      detail: 'No verification run is recorded in the case.',
      section: 'integrity',
    });
  } else {
    const tone: Tone =
      integrity.run.verdict === 'intact'
        ? 'ok'
        : integrity.run.verdict === 'unanchored' || integrity.run.verdict === 'unverifiable'
          ? 'warn'
          : 'bad';
    h.push({
      tone,
      title: `Archives ${integrity.run.verdict}`,
      detail: `${integrity.run.verdictMeaning[0].toUpperCase()}${integrity.run.verdictMeaning.slice(1)}: ${fmtInt(integrity.run.fails)} failed checks and ${fmtInt(integrity.run.warns)} warnings in verification run #${integrity.run.id} (${fmtTime(integrity.run.startedAt)}).${tone === 'ok' ? '' : ` ${integrity.run.reason}`}`,
      section: 'integrity',
    });
    const cps = integrity.checkpoints;
    const unpinned = cps.filter((c) => !c.signerPinned).length;
    if (cps.length > 0 && unpinned > 0) {
      h.push({
        tone: 'warn',
        title: 'Origin of some checkpoints not established',
        detail: `${fmtInt(unpinned)} of ${fmtInt(cps.length)} checkpoints carry no signature that verifies with a key the investigator pinned.`,
        section: 'integrity',
      });
    }
    const unstamped = cps.filter((c) => !c.genTime || c.status === 'fail').length;
    if (cps.length > 0 && unstamped > 0) {
      h.push({
        tone: 'warn',
        title: 'Time of some checkpoints not independently proven',
        detail: `${fmtInt(unstamped)} of ${fmtInt(cps.length)} checkpoints carry no readable RFC 3161 time-stamp: nothing independent of the producer proves when they existed.`,
        section: 'integrity',
      });
    }
  }
  if (!appendix.custody.intact) {
    h.push({
      tone: 'bad',
      title: 'Custody log altered',
      detail: appendix.custody.problems.map((p) => p.message).join('; '),
      section: 'appendix',
    });
  }
  const gaps = recordKeeping.fields.filter((f) => f.required && (f.share ?? 0) < 0.999);
  if (recordKeeping.decisions > 0) {
    h.push({
      tone: gaps.length ? 'warn' : 'ok',
      title: gaps.length ? `Required members missing in some decisions` : 'Every required member present',
      detail: gaps.length
        ? gaps.map((g) => `${g.member} in ${fmtPct(g.share)}`).join(', ')
        : `All ${fmtInt(recordKeeping.decisions)} decisions carry every member mapped to Article 12(2)(a)-(c).`,
      section: 'record-keeping',
    });
  }
  h.push(...oversightHeadlines(parts.oversight));
  const hits = anomalies.results.filter((r) => r.total > 0);
  h.push({
    tone: hits.length ? 'warn' : 'ok',
    title: hits.length
      ? `${hits.length} anomaly filter${hits.length === 1 ? '' : 's'} flag records`
      : 'No anomaly flagged',
    detail: hits.length
      ? hits.map((r) => `${r.title}: ${fmtInt(r.total)}`).join('; ')
      : `None of the ${anomalies.results.length} filters flags anything at its default threshold.`,
    section: 'anomalies',
  });
  h.push(...fairnessHeadlines(parts.fairness));
  const o = parts.oversight.overall;
  const figures: SummaryData['figures'] = [
    { label: 'Decisions examined', value: fmtInt(parts.cover.records.decision), section: 'cover' },
    {
      label: 'Verification verdict',
      value: integrity.run ? integrity.run.verdict : 'not verified',
      section: 'integrity',
    },
    {
      label: 'Records anchored by a checkpoint',
      value: integrity.streams.length
        ? fmtPct(
            integrity.streams.reduce((a, s) => a + s.anchoredRecords, 0) /
              Math.max(
                1,
                integrity.streams.reduce((a, s) => a + s.records, 0),
              ),
          )
        : '–',
      section: 'integrity',
    },
    {
      label: 'Decisions with every required member',
      value: fmtPct(recordKeeping.completeShare),
      section: 'record-keeping',
    },
    { label: 'Required reviews done (review coverage)', value: fmtPct(o.reviewCoverage), section: 'oversight' },
    { label: 'Human override rate', value: fmtPct(o.overrideRate), section: 'oversight' },
    {
      label: 'Median review time',
      value: o.medianReviewSeconds === null ? '–' : `${o.medianReviewSeconds.toFixed(1)} s`,
      section: 'oversight',
    },
    {
      label: 'Anomaly hits (all filters)',
      value: fmtInt(anomalies.results.reduce((a, r) => a + r.total, 0)),
      section: 'anomalies',
    },
    {
      label: 'Custody log',
      value: appendix.custody.intact ? `intact, ${fmtInt(appendix.custody.entries.length)} entries` : 'ALTERED',
      section: 'appendix',
    },
  ];
  return {
    figures,
    verdict: integrity.run?.verdict ?? 'not verified',
    verdictReason: integrity.run?.reason ?? 'No verification run is recorded in the case.',
    headlines: h,
  };
}

export function renderSummary(s: SummaryData, cover: CoverData): Html {
  return html`<section id="summary">
    <h2>1. Executive summary</h2>
    <p>
      This report examines ${fmtInt(cover.records.decision)} AI decisions made between ${fmtTime(cover.period.from)} and
      ${fmtTime(cover.period.to)}${cover.systems.length ? ` by ${cover.systems.join('; ')}` : ''}, with
      ${fmtInt(cover.records.review)} human-review events, ${fmtInt(cover.records.outcome)} observed outcomes and
      ${fmtInt(cover.records.lifecycle)} model lifecycle events, from ${fmtInt(cover.archives.length)}
      archive${cover.archives.length === 1 ? '' : 's'}.
    </p>
    ${table(
      [
        { head: 'Key figure', cell: (f) => f.label },
        { head: 'Value', cell: (f) => f.value, cls: 'num' },
        { head: 'Section', cell: (f) => html`<a href="#${f.section}">${f.section}</a>` },
      ],
      s.figures,
    )}
    <div class="headlines">
      ${join(
        s.headlines.map(
          (h) =>
            html`<div class="headline ${h.tone}">
              <div class="hl-title">
                ${badge(h.tone === 'ok' ? 'OK' : h.tone === 'bad' ? 'PROBLEM' : h.tone === 'warn' ? 'ATTENTION' : 'NOTE', h.tone)}
                ${h.title}
              </div>
              <div class="hl-detail">${h.detail} <a href="#${h.section}">(section)</a></div>
            </div>`,
        ),
      )}
    </div>
  </section>`;
}
