/**
 * A small, valid, signed audit archive whose every string member an investigator can see (ids, model
 * names and versions, predictions, feature names and values, reviewers, rationales, reasons, outcomes,
 * lifecycle actors and details, explanation feature names, the descriptor's system and producer) holds
 * HTML or script. Shared by test/integration/hostile-xss.test.ts (the report HTML) and
 * test/e2e/hostile-xss.test.ts (the screens in Chromium). Every payload must come out as text.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ArchiveWriter } from '../../src/archive/writer.ts';

/** Markup that would run or inject something if it were ever interpreted. */
export const PAYLOADS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  svg: '"><svg onload=alert(1)>',
  iframe: '<iframe src="javascript:alert(1)"></iframe>',
  title: '</title><script>alert(1)</script>',
  attr: "' onmouseover='alert(1)' x='",
  textarea: '</textarea><script>alert(1)</script>',
  style: '<style>*{display:none}</style>',
  template: "{{constructor.constructor('alert(1)')()}}",
  link: 'javascript:alert(1)',
} as const;

/** Selectors of elements that only an injection could have put into a page of the app or the report. */
export const INJECTED_SELECTORS = [
  'img[src="x"]',
  'img[onerror]',
  'svg[onload]',
  'iframe[src^="javascript"]',
  '[onmouseover]',
  'b[onmouseover]',
  'style:not([data-app])',
];

export const MODEL_A = `credit ${PAYLOADS.script}`;
export const MODEL_B = `fraud ${PAYLOADS.img}`;
export const CASE_NAME = `Hostile ${PAYLOADS.script} case`;
export const ANNOTATION_TEXT = `note ${PAYLOADS.img} ${PAYLOADS.svg}`;
export const ANNOTATION_TAG = `tag${PAYLOADS.script}`;

export function decisionId(i: number): string {
  return `d${i}-${PAYLOADS.svg}`;
}

const DAYS = ['2026-03-01', '2026-03-02'];

/** Writes the archive into `dir` (new or empty); returns the decision ids and the explanation's decision. */
export async function writeXssArchive(dir: string): Promise<{ decisionIds: string[]; explained: string }> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const w = await ArchiveWriter.create({
    dir,
    streams: [
      { name: 'decisions', kind: 'decision' },
      { name: 'lifecycle', kind: 'lifecycle' },
      { name: 'reviews', kind: 'review' },
      { name: 'outcomes', kind: 'outcome' },
    ],
    keyPrefix: 'exports/hostile/',
    producer: { name: `producer ${PAYLOADS.title}`, version: PAYLOADS.attr },
    system: { name: `system ${PAYLOADS.script}`, operator: `operator ${PAYLOADS.img}` },
    signingKey: privateKey,
    clock: () => new Date('2026-03-03T00:00:00Z'),
  });
  for (const [i, model] of [MODEL_A, MODEL_B].entries()) {
    await w.append('lifecycle', {
      eventId: `ev${i}-${PAYLOADS.script}`,
      eventType: 'deployed',
      modelId: model,
      modelVersion: `v1 ${PAYLOADS.attr}`,
      timestamp: '2026-02-28T12:00:00.000Z',
      actor: `actor ${PAYLOADS.img}`,
      details: `details ${PAYLOADS.textarea}`,
      trainingDataRef: `s3://${PAYLOADS.iframe}`,
      evaluationResults: [{ metric: `auc ${PAYLOADS.svg}`, value: 0.91, dataset: PAYLOADS.template }],
    });
  }
  const ids: string[] = [];
  let n = 0;
  for (const day of DAYS) {
    for (let k = 0; k < 8; k++, n++) {
      const id = decisionId(n);
      ids.push(id);
      const reviewed = n % 3 === 0;
      await w.append('decisions', {
        decisionId: id,
        traceId: `trace ${PAYLOADS.iframe}`,
        timestamp: `${day}T${String(8 + k).padStart(2, '0')}:00:00.000Z`,
        modelId: n % 2 === 0 ? MODEL_A : MODEL_B,
        modelVersion: `v1 ${PAYLOADS.attr}`,
        riskTier: `high ${PAYLOADS.style}`,
        inputHash: `sha256:${PAYLOADS.link}`,
        inputFeatures: {
          group: n % 4 < 2 ? `A ${PAYLOADS.img}` : `B ${PAYLOADS.script}`,
          [`feature ${PAYLOADS.svg}`]: `value ${PAYLOADS.textarea}`,
          income: 1000 + n,
        },
        contextData: { channel: `web ${PAYLOADS.title}` },
        prediction: n % 3 === 0 ? 'decline' : `approve ${PAYLOADS.script}`,
        confidence: 0.5 + n / 100,
        explanationRef: n === 0 ? 'exp-0' : null,
        humanReviewRequired: reviewed,
        humanReviewed: reviewed,
        humanOverride: n === 3,
        humanReviewerId: reviewed ? `reviewer ${PAYLOADS.script}` : null,
        humanDecision: reviewed ? `decision ${PAYLOADS.img}` : null,
        overrideReason: n === 3 ? `override ${PAYLOADS.svg}` : null,
        affectedUserId: `user ${PAYLOADS.iframe}`,
        decisionCategory: `category ${PAYLOADS.template}`,
        consequenceLevel: `level ${PAYLOADS.attr}`,
        latencyMs: 100 + n * 10,
        environment: `prod ${PAYLOADS.style}`,
      });
      if (reviewed) {
        await w.append('reviews', {
          eventId: `rv${n}-${PAYLOADS.img}`,
          taskId: `task ${PAYLOADS.svg}`,
          decisionId: id,
          eventType: 'reviewed',
          timestamp: `${day}T${String(8 + k).padStart(2, '0')}:30:00.000Z`,
          reviewerId: `reviewer ${PAYLOADS.script}`,
          action: 'approve',
          rationale: { code: `code ${PAYLOADS.iframe}`, text: `because ${PAYLOADS.img}` },
          changes: { note: PAYLOADS.textarea },
          durationMs: 30_000,
          reason: `reason ${PAYLOADS.title}`,
        });
      }
      await w.append('outcomes', {
        decisionId: id,
        observedAt: `2026-04-0${DAYS.indexOf(day) + 1}T${String(8 + k).padStart(2, '0')}:00:00.000Z`,
        outcome: n % 2 === 0 ? `repaid ${PAYLOADS.svg}` : `default ${PAYLOADS.script}`,
        source: `source ${PAYLOADS.img}`,
      });
    }
  }
  await w.writeExplanation('exp-0', {
    explanationRef: 'exp-0',
    decisionId: ids[0],
    modelId: MODEL_A,
    modelVersion: 'v1',
    method: `shap ${PAYLOADS.script}`,
    baseValue: 0.1,
    output: 'decline',
    attributions: [
      { feature: `income ${PAYLOADS.img}`, value: `v ${PAYLOADS.svg}`, contribution: 0.3 },
      { feature: `group ${PAYLOADS.script}`, value: 'A', contribution: -0.1 },
    ],
  });
  await w.close();
  return { decisionIds: ids, explained: ids[0] };
}
