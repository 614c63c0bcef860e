/**
 * The story the demo archive tells: three models of a lending business, their lifecycle, and the
 * moments at which the planted findings happen. Every time is derived from the base date and the
 * number of days, so the same options always give the same timeline. docs/demo-archive.md lists the
 * values for the defaults.
 */
import { sha256Hex } from '../archive/canonical.ts';

export const DEMO_BASE_DATE = '2026-03-01T00:00:00Z';
export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export const CREDIT = 'credit-limit-scorer';
export const FRAUD = 'fraud-detector';
export const SUPPORT = 'support-reply-llm';

export const MODEL_VERSIONS = {
  credit20: { modelId: CREDIT, modelVersion: '2.0.0' },
  credit21: { modelId: CREDIT, modelVersion: '2.1.0' },
  fraud: { modelId: FRAUD, modelVersion: '5.3.1' },
  support: { modelId: SUPPORT, modelVersion: '1.4.0' },
  supportCandidate: { modelId: SUPPORT, modelVersion: '1.5.0' },
} as const;

/** A model artefact's digest as a registry would record it; stable per model version. */
export function modelChecksum(modelId: string, modelVersion: string): string {
  return sha256Hex(`model-artifact:${modelId}@${modelVersion}`);
}

/** Share of decisions per model. */
export const MODEL_MIX: readonly (readonly [string, number])[] = [
  [CREDIT, 0.4],
  [FRAUD, 0.35],
  [SUPPORT, 0.25],
];

/** The protected-ish attribute the fairness queries group by (inputFeatures.group) and its shares. */
export const GROUPS: readonly (readonly [string, number])[] = [
  ['A', 0.35],
  ['B', 0.3],
  ['C', 0.2],
  ['D', 0.15],
];

/** Model approval rates: equal for every group, except the planted disparity. */
export const CREDIT_APPROVAL_RATE = { '2.0.0': 0.68, '2.1.0': 0.7 } as const;
export const DISPARITY = { modelId: CREDIT, modelVersion: '2.1.0', group: 'C', approvalRate: 0.33 } as const;
/** fraud-detector blocks (critical tier: explanation and human review) this share of payments, in every group. */
export const FRAUD_BLOCK_RATE = 0.03;

/** Latency bands in ms (uniform, bounded, so nothing but the incident is an outlier). */
export const LATENCY_MS = {
  [CREDIT]: [35, 95],
  [FRAUD]: [18, 42],
  [SUPPORT]: [700, 2400],
  incident: [4000, 9000],
} as const;

/** A credit-limit-scorer decline on a requested limit of at least this much requires human review. */
export const REVIEW_LIMIT_THRESHOLD = 2500;
export const REVIEWERS = ['rev-01', 'rev-02', 'rev-03', 'rev-04', 'rev-05', 'rev-06'] as const;
export const LEAD_REVIEWERS = ['rev-lead-1', 'rev-lead-2'] as const;
export const RUBBER_STAMP = { reviewerId: 'rev-05', reviews: 12, durationMs: [1800, 4500] } as const;
/** Normal review effort: 45 s to 15 min. */
export const REVIEW_DURATION_MS = [45_000, 900_000] as const;
export const OUTCOME_DELAY_MS = 30 * DAY_MS;

export interface Timeline {
  start: number;
  end: number;
  credit21Approved: number;
  credit21Deployed: number;
  latencyIncident: [number, number];
  supportCandidateTrainingStarted: number;
  supportCandidateTrainingCompleted: number;
  supportCandidateEvaluated: number;
  rollback: number;
  deprecated: number;
  retired: number;
  skippedReview: [number, number];
  rubberStampFrom: number;
  postRetirement: [number, number];
}

/** A point `fraction` of the way through the window, on a whole minute. */
function at(start: number, days: number, fraction: number): number {
  return start + Math.round((fraction * days * DAY_MS) / MINUTE_MS) * MINUTE_MS;
}

export function buildTimeline(days: number): Timeline {
  const start = Date.parse(DEMO_BASE_DATE);
  const f = (x: number): number => at(start, days, x);
  return {
    start,
    end: start + days * DAY_MS,
    credit21Approved: f(0.19),
    credit21Deployed: f(0.2),
    latencyIncident: [f(0.3), f(0.3) + 90 * MINUTE_MS],
    supportCandidateTrainingStarted: f(0.36),
    supportCandidateTrainingCompleted: f(0.38),
    supportCandidateEvaluated: f(0.4),
    rollback: f(0.5),
    deprecated: f(0.52),
    retired: f(0.55),
    skippedReview: [f(0.6), f(0.6) + 480 * MINUTE_MS],
    rubberStampFrom: f(0.7),
    postRetirement: [f(0.8), f(0.8) + 120 * MINUTE_MS],
  };
}

/** Which credit-limit-scorer version serves at time t: 2.1.0 from deployment to rollback, and in the stale-replica window. */
export function creditVersionAt(tl: Timeline, t: number): '2.0.0' | '2.1.0' {
  if (t >= tl.credit21Deployed && t < tl.rollback) return '2.1.0';
  if (t >= tl.postRetirement[0] && t < tl.postRetirement[1]) return '2.1.0';
  return '2.0.0';
}

export function inWindow(t: number, w: readonly [number, number]): boolean {
  return t >= w[0] && t < w[1];
}

export interface LifecycleEventDraft {
  eventId: string;
  eventType: string;
  modelId: string;
  modelVersion: string;
  timestamp: string;
  actor: string;
  details: Record<string, unknown>;
  trainingDataRef?: string;
  evaluationResults?: { metric: string; value: number; threshold: number; passed: boolean }[];
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * The model lifecycle, in time order: the production models' history before the window, then the
 * 2.1.0 rollout, the failed evaluation of a support-reply-llm candidate, the rollback and the retirement.
 */
export function lifecycleEvents(tl: Timeline): LifecycleEventDraft[] {
  const ev: LifecycleEventDraft[] = [];
  const add = (
    modelId: string,
    modelVersion: string,
    eventType: string,
    time: number | string,
    actor: string,
    details: Record<string, unknown> = {},
    extra: Partial<LifecycleEventDraft> = {},
  ): void => {
    const timestamp = typeof time === 'number' ? iso(time) : time;
    ev.push({
      eventId: `lc-${modelId}-${modelVersion}-${eventType}`,
      eventType,
      modelId,
      modelVersion,
      timestamp,
      actor,
      details,
      ...extra,
    });
  };
  const train = (modelId: string, v: string, started: string, completed: string, data: string): void => {
    add(
      modelId,
      v,
      'training_started',
      started,
      'ml-pipeline',
      { pipelineRun: `run-${modelId}-${v}` },
      { trainingDataRef: data },
    );
    add(
      modelId,
      v,
      'training_completed',
      completed,
      'ml-pipeline',
      { pipelineRun: `run-${modelId}-${v}` },
      { trainingDataRef: data },
    );
  };
  const evaluate = (
    modelId: string,
    v: string,
    time: number | string,
    results: { metric: string; value: number; threshold: number; passed: boolean }[],
  ): void => {
    const passed = results.every((r) => r.passed);
    add(
      modelId,
      v,
      'evaluation_completed',
      time,
      'eval-service',
      { suite: `${modelId}-release-suite`, passed },
      { evaluationResults: results },
    );
  };

  train(
    CREDIT,
    '2.0.0',
    '2026-01-12T09:00:00.000Z',
    '2026-01-14T17:20:00.000Z',
    's3://ml-data/credit/2025-12-snapshot',
  );
  evaluate(CREDIT, '2.0.0', '2026-01-16T10:00:00.000Z', [
    { metric: 'auc', value: 0.91, threshold: 0.85, passed: true },
    { metric: 'approval_rate_ratio_min', value: 0.94, threshold: 0.8, passed: true },
  ]);
  add(CREDIT, '2.0.0', 'deployment_approved', '2026-01-20T15:00:00.000Z', 'model-risk-committee', {
    ticket: 'MRC-2026-014',
  });
  add(CREDIT, '2.0.0', 'deployed', '2026-01-21T08:00:00.000Z', 'release-bot', {
    environment: 'production',
    replicas: 4,
  });

  train(FRAUD, '5.3.1', '2026-01-26T09:00:00.000Z', '2026-01-27T06:45:00.000Z', 's3://ml-data/fraud/2026-01-labels');
  evaluate(FRAUD, '5.3.1', '2026-01-29T11:30:00.000Z', [
    { metric: 'recall_at_1pct_fpr', value: 0.88, threshold: 0.8, passed: true },
    { metric: 'p99_latency_ms', value: 41, threshold: 100, passed: true },
  ]);
  add(FRAUD, '5.3.1', 'deployment_approved', '2026-02-02T14:00:00.000Z', 'model-risk-committee', {
    ticket: 'MRC-2026-021',
  });
  add(FRAUD, '5.3.1', 'deployed', '2026-02-03T07:30:00.000Z', 'release-bot', {
    environment: 'production',
    replicas: 6,
  });

  train(
    SUPPORT,
    '1.4.0',
    '2026-02-04T09:00:00.000Z',
    '2026-02-05T13:10:00.000Z',
    's3://ml-data/support/2026-01-transcripts',
  );
  evaluate(SUPPORT, '1.4.0', '2026-02-06T16:00:00.000Z', [
    { metric: 'helpfulness_score', value: 4.3, threshold: 4.0, passed: true },
    { metric: 'hallucination_rate_max', value: 0.021, threshold: 0.05, passed: true },
  ]);
  add(SUPPORT, '1.4.0', 'deployment_approved', '2026-02-09T10:00:00.000Z', 'ai-governance-board', {
    ticket: 'AIGB-2026-007',
  });
  add(SUPPORT, '1.4.0', 'deployed', '2026-02-10T08:00:00.000Z', 'release-bot', {
    environment: 'production',
    promptVersion: 'support-prompt-v7',
  });

  train(
    CREDIT,
    '2.1.0',
    '2026-02-16T09:00:00.000Z',
    '2026-02-18T19:05:00.000Z',
    's3://ml-data/credit/2026-01-snapshot',
  );
  evaluate(CREDIT, '2.1.0', '2026-02-20T10:00:00.000Z', [
    { metric: 'auc', value: 0.93, threshold: 0.85, passed: true },
    { metric: 'approval_rate_ratio_min', value: 0.86, threshold: 0.8, passed: true },
  ]);
  add(CREDIT, '2.1.0', 'deployment_approved', tl.credit21Approved, 'model-risk-committee', { ticket: 'MRC-2026-033' });
  add(CREDIT, '2.1.0', 'deployed', tl.credit21Deployed, 'release-bot', {
    environment: 'production',
    replicas: 4,
    replaces: '2.0.0',
  });

  add(
    SUPPORT,
    '1.5.0',
    'training_started',
    tl.supportCandidateTrainingStarted,
    'ml-pipeline',
    { pipelineRun: `run-${SUPPORT}-1.5.0` },
    {
      trainingDataRef: 's3://ml-data/support/2026-02-transcripts',
    },
  );
  add(
    SUPPORT,
    '1.5.0',
    'training_completed',
    tl.supportCandidateTrainingCompleted,
    'ml-pipeline',
    { pipelineRun: `run-${SUPPORT}-1.5.0` },
    {
      trainingDataRef: 's3://ml-data/support/2026-02-transcripts',
    },
  );
  evaluate(SUPPORT, '1.5.0', tl.supportCandidateEvaluated, [
    { metric: 'helpfulness_score', value: 4.4, threshold: 4.0, passed: true },
    { metric: 'hallucination_rate_max', value: 0.071, threshold: 0.05, passed: false },
  ]);

  add(CREDIT, '2.1.0', 'rollback', tl.rollback, 'on-call-sre', {
    toVersion: '2.0.0',
    reason: 'approval-rate monitoring alert on version 2.1.0',
    incident: 'INC-4471',
  });
  add(CREDIT, '2.1.0', 'deprecated', tl.deprecated, 'model-risk-committee', { ticket: 'MRC-2026-041' });
  add(CREDIT, '2.1.0', 'retired', tl.retired, 'release-bot', { replicasRemoved: 4 });

  // stable on equal times: the pre-window history is already in order
  return ev
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.timestamp.localeCompare(b.e.timestamp) || a.i - b.i)
    .map((x) => x.e);
}
