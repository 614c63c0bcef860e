/**
 * The deterministic demo archive (docs/demo-archive.md): a lending business's decisions, model
 * lifecycle, human reviews and outcomes, written through ArchiveWriter with planted findings that the
 * anomaly and fairness queries must find, and optionally one tamper variant. The same options give
 * byte-identical files: every value comes from a seeded PRNG and a simulated clock, the signing key is
 * derived from the seed, Ed25519 signatures are deterministic, and every checkpoint's RFC 3161 token
 * comes from the committed test-only TSA of demo-tsa.ts (genTime = createdAt, RSA PKCS#1 v1.5).
 */
import { createPrivateKey, hash as oneShotHash, type KeyObject } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTsWorker } from '../worker/ts-worker.ts';
import { sha256Hex } from '../archive/canonical.ts';
import {
  ArchiveWriter,
  type ArchiveWriterOptions,
  type ArchiveWriteSummary,
  type ClockEvent,
} from '../archive/writer.ts';
import { AuditWsError, type ErrorCode } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { DEMO_TSA_ROOT_FILE, DEMO_TSA_ROOT_PEM, DEMO_TSA_ROOT_SHA256, demoTimestamper } from './demo-tsa.ts';
import { Prng, round } from './prng.ts';
import {
  buildTimeline,
  CREDIT,
  CREDIT_APPROVAL_RATE,
  creditVersionAt,
  DAY_MS,
  DEMO_BASE_DATE,
  DISPARITY,
  FRAUD,
  FRAUD_BLOCK_RATE,
  GROUPS,
  inWindow,
  LATENCY_MS,
  LEAD_REVIEWERS,
  lifecycleEvents,
  MODEL_MIX,
  MODEL_VERSIONS,
  modelChecksum,
  OUTCOME_DELAY_MS,
  REVIEW_DURATION_MS,
  REVIEW_LIMIT_THRESHOLD,
  REVIEWERS,
  RUBBER_STAMP,
  SUPPORT,
  type Timeline,
} from './scenario.ts';
import {
  isTamperKind,
  TAMPER_KINDS,
  TamperingArchiveWriter,
  type TamperKind,
  type TamperLocation,
  type TamperTarget,
} from './tamper.ts';

export type { TamperKind } from './tamper.ts';
export { TAMPER_KINDS } from './tamper.ts';

export interface DemoOptions {
  out: string;
  decisions?: number;
  days?: number;
  seed?: number;
  tamper?: TamperKind;
  /** every data file as `.jsonl.gz` (zlib level 1), for archives too large to keep as plain JSONL */
  gzip?: boolean;
  /** 2 writes the decisions and the other streams on two threads (same bytes); default 2 from 20,000 decisions */
  threads?: 1 | 2;
}

export const DEMO_DEFAULTS = { decisions: 5000, days: 14, seed: 1 } as const;
/** Demo objects above this size are "uploaded" multipart, small enough that the default demo has some. */
export const DEMO_PART_SIZE = 256 * 1024;
export const DEMO_KEY_PREFIX = 'exports/acme-lending/';

export interface PlantedFinding {
  id:
    | 'selection-rate-disparity'
    | 'latency-incident'
    | 'skipped-human-review'
    | 'rubber-stamp-reviews'
    | 'decisions-after-retirement';
  description: string;
  [key: string]: unknown;
}

export interface DemoSummary {
  out: string;
  seed: number;
  decisions: number;
  days: number;
  baseDate: string;
  exportedAt: string;
  keyPrefix: string;
  publicKey: string;
  /** the demo TSA's root certificate as the archive offers it (self-asserted), and its SHA-256 */
  tsaRoot: { file: string; sha256: string };
  streams: { name: string; kind: string; records: number; files: number; checkpoints: number }[];
  explanations: number;
  manifestObjects: number;
  bytes: number;
  plantedFindings: PlantedFinding[];
  notableEvents: {
    eventId: string;
    eventType: string;
    modelId: string;
    modelVersion: string;
    timestamp: string;
    note: string;
  }[];
  tamper?: TamperLocation;
}

const ID_LIST_LIMIT = 200;

const iso = (t: number): string => new Date(t).toISOString();
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A stable pseudonymous user id (64 hex digits, the shape of a salted SHA-256) from 32-bit mixes, far cheaper than hashing. */
function pseudonym(seed: number, user: number): string {
  let out = '';
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ (user + Math.imul(i, 0x9e3779b9)), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out += HEX_BYTE[h & 255] + HEX_BYTE[(h >>> 8) & 255] + HEX_BYTE[(h >>> 16) & 255] + HEX_BYTE[h >>> 24];
  }
  return out;
}

/** Ed25519 private key from 32 seed bytes (PKCS#8 wrapping of RFC 8410), so the same seed signs the same way. */
export function demoSigningKey(seed: number): KeyObject {
  const raw = Buffer.from(sha256Hex(`audit-ws demo checkpoint signing key, seed ${seed}`), 'hex');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

/**
 * A yes/no draw whose running count never strays more than 1.5 from p times the draws, so the
 * selection rate of every group is what the scenario says at any size, and no disparity appears by
 * chance (a plain Bernoulli draw on a few dozen decisions easily would).
 */
class BalancedDraw {
  private n = 0;
  private k = 0;
  draw(rng: Prng, p: number): boolean {
    let yes = rng.next() < p;
    const deviation = this.k + (yes ? 1 : 0) - p * (this.n + 1);
    if (deviation > 1.5) yes = false;
    else if (deviation < -1.5) yes = true;
    this.n++;
    if (yes) this.k++;
    return yes;
  }
}

/** Pending review events, released in time order (ties in creation order) so the reviews chain is chronological. */
class EventQueue {
  private readonly heap: { time: number; order: number; record: Record<string, unknown> }[] = [];
  private order = 0;
  get size(): number {
    return this.heap.length;
  }
  push(time: number, record: Record<string, unknown>): void {
    const h = this.heap;
    h.push({ time, order: this.order++, record });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  peekTime(): number {
    return this.heap.length ? this.heap[0].time : Number.POSITIVE_INFINITY;
  }
  pop(): Record<string, unknown> {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top.record;
  }
  private less(a: { time: number; order: number }, b: { time: number; order: number }): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }
}

function validate(options: DemoOptions): {
  out: string;
  decisions: number;
  days: number;
  seed: number;
  tamper?: TamperKind;
  gzip: boolean;
  threads: 1 | 2;
} {
  if (!options.out) throw new AuditWsError('BAD_USAGE', 'demo needs an output folder (--out DIR)');
  const decisions = options.decisions ?? DEMO_DEFAULTS.decisions;
  const days = options.days ?? DEMO_DEFAULTS.days;
  const seed = options.seed ?? DEMO_DEFAULTS.seed;
  if (!Number.isInteger(decisions) || decisions < 100 || decisions > 100_000_000) {
    throw new AuditWsError(
      'BAD_USAGE',
      `--decisions must be a whole number from 100 to 100000000, not ${String(options.decisions)}`,
    );
  }
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new AuditWsError('BAD_USAGE', `--days must be a whole number from 1 to 366, not ${String(options.days)}`);
  }
  if (decisions / days > 8_000_000)
    throw new AuditWsError(
      'BAD_USAGE',
      'more than 8,000,000 decisions a day cannot have distinct millisecond timestamps',
    );
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new AuditWsError(
      'BAD_USAGE',
      `--seed must be a whole number from 0 to 4294967295, not ${String(options.seed)}`,
    );
  }
  if (options.tamper !== undefined && !isTamperKind(options.tamper)) {
    throw new AuditWsError(
      'BAD_USAGE',
      `unknown tamper kind "${String(options.tamper)}"; one of ${TAMPER_KINDS.join(', ')}`,
    );
  }
  if (options.threads !== undefined && options.threads !== 1 && options.threads !== 2) {
    throw new AuditWsError('BAD_USAGE', `threads must be 1 or 2, not ${String(options.threads)}`);
  }
  // The tamper variants edit plain JSONL bytes in place.
  if (options.gzip && options.tamper !== undefined)
    throw new AuditWsError('BAD_USAGE', '--gzip cannot be combined with --tamper');
  const threads = options.threads ?? (decisions >= DEMO_PARALLEL_FROM ? 2 : 1);
  const gzip = options.gzip === true;
  return { out: path.resolve(options.out), decisions, days, seed, tamper: options.tamper, gzip, threads };
}

/** The end of a label's day plus five minutes: when the demo's day file, checkpoint and signature are "uploaded". */
function dayClosedAt(label: string): Date {
  return new Date(Date.parse(`${label}T00:00:00Z`) + DAY_MS + 5 * 60_000);
}

const recordTamperTarget = (decisions: number): TamperTarget => ({
  stream: 'decisions',
  seq: Math.floor(decisions * 0.43),
  accept: (r) => r.modelId === CREDIT,
  change: (r) => {
    const from = r.prediction;
    const to = from === 'approve' ? 'decline' : 'approve';
    return { record: { ...r, prediction: to }, member: 'prediction', from, to };
  },
  fabricate: (after) => ({
    ...after,
    traceId: sha256Hex(`inserted trace ${String(after.traceId)}`).slice(0, 32),
    decisionId: `${String(after.decisionId)}-b`,
    prediction: 'approve',
    humanReviewRequired: false,
    humanReviewed: false,
    humanOverride: false,
    humanReviewerId: null,
    humanDecision: null,
    overrideReason: null,
  }),
});

/**
 * The archive is written in two parts that share nothing but the folder: `decisions` (the decisions
 * stream) and `events` (lifecycle, reviews, outcomes and the explanations). Both replay the same
 * seeded generation and each appends only its own streams, so they can run on two threads and still
 * produce exactly the bytes a single thread would; ArchiveWriter.finishParts joins their manifests.
 */
export type DemoPart = 'decisions' | 'events';
const PART_STREAMS: Record<DemoPart, readonly string[]> = {
  decisions: ['decisions'],
  events: ['lifecycle', 'reviews', 'outcomes'],
};
/** Explanations go with the lighter part; the decisions stream alone is the larger share of the work. */
const EXPLANATIONS_PART: DemoPart = 'events';
/** Below this many decisions a second thread costs more to start than it saves. */
export const DEMO_PARALLEL_FROM = 20_000;

export type ValidDemoOptions = ReturnType<typeof validate>;

export interface DemoPartResult {
  written: ArchiveWriteSummary;
  findings: PlantedFinding[];
  tamper?: TamperLocation;
}

function exportTime(tl: Timeline): Date {
  return new Date(tl.end + OUTCOME_DELAY_MS + DAY_MS + 6 * 3_600_000);
}

function demoWriterOptions(o: ValidDemoOptions, tl: Timeline, clockNow: () => number): ArchiveWriterOptions {
  const exportedAt = exportTime(tl);
  const clock = (e: ClockEvent): Date => {
    if (e.event === 'export') return exportedAt;
    if (e.event === 'checkpoint') return dayClosedAt(e.label);
    if (e.role === 'explanation') return new Date(clockNow() + 2000);
    return dayClosedAt(e.label!);
  };
  return {
    dir: o.out,
    streams: [
      { name: 'decisions', kind: 'decision' },
      { name: 'lifecycle', kind: 'lifecycle' },
      { name: 'reviews', kind: 'review', gzip: true },
      { name: 'outcomes', kind: 'outcome' },
    ],
    ...(o.gzip ? { gzip: true, gzipLevel: 1 } : {}),
    keyPrefix: DEMO_KEY_PREFIX,
    producer: { name: 'audit-ws demo', version: TOOL_VERSION, seed: o.seed },
    system: { name: 'acme-lending', operator: 'ACME Lending (demo data)' },
    signingKey: demoSigningKey(o.seed),
    signingKeyName: 'checkpoint-signing',
    // the committed test-only TSA (demo-tsa.ts): genTime = createdAt, serial from the checkpoint's hash
    timestamper: demoTimestamper(),
    clock,
    manifest: { partSizeBytes: DEMO_PART_SIZE },
    objectLock: { mode: 'COMPLIANCE', retainYears: 7 },
    // records are built below from string, finite-number, boolean, array and plain-object literals only
    validateRecords: false,
    // every record object is built fresh for its append() and never touched again
    adoptRecords: true,
  };
}

/** Writes one part of the demo archive into a folder the caller has checked is new or empty. */
export async function runDemoPart(o: ValidDemoOptions, part: DemoPart): Promise<DemoPartResult> {
  const tl = buildTimeline(o.days);
  const root = new Prng(o.seed);
  const rng = {
    time: root.fork('time'),
    decision: root.fork('decision'),
    review: root.fork('review'),
    outcome: root.fork('outcome'),
    user: root.fork('user'),
    explain: root.fork('explain'),
  };
  let simNow = tl.start;
  const all = demoWriterOptions(o, tl, () => simNow);
  const writerOptions: ArchiveWriterOptions = {
    ...all,
    streams: all.streams.filter((st) => PART_STREAMS[part].includes(st.name)),
    part,
    // CRC32C exists only as byte-at-a-time JS here (about 80 MB/s); the large decision files use the
    // other four so a million decisions stay within a minute, and CRC32C still appears on every other
    // kind of object (review and outcome files, checkpoints, signatures, explanations)
    manifest:
      part === 'decisions'
        ? { partSizeBytes: DEMO_PART_SIZE, algorithms: ['SHA256', 'CRC64NVME', 'SHA1', 'CRC32'] }
        : all.manifest,
  };
  // record and file tampers all target the decisions part; only the lock mode concerns every part
  const tamper = o.tamper && (part === 'decisions' || o.tamper === 'governance-lock') ? o.tamper : undefined;
  const writer = tamper
    ? await TamperingArchiveWriter.createTampering(writerOptions, tamper, recordTamperTarget(o.decisions))
    : await ArchiveWriter.create(writerOptions);

  const stats = new ScenarioStats(tl);
  try {
    if (part === 'events') for (const ev of lifecycleEvents(tl)) await writer.append('lifecycle', { ...ev });
    await writeDecisions(writer, part, o, tl, rng, stats, (t) => {
      simNow = t;
    });
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const written = await writer.close();
  if (writer instanceof TamperingArchiveWriter) await writer.afterClose(written.checkpoints);
  return {
    written,
    findings: stats.findings(),
    ...(writer instanceof TamperingArchiveWriter ? { tamper: writer.location } : {}),
  };
}

/** Runs a part on a worker thread (src/demo/part-worker.ts); `stop` ends it early when the other part failed. */
function runPartOnThread(o: ValidDemoOptions, part: DemoPart): { result: Promise<DemoPartResult>; stop: () => void } {
  const worker = startTsWorker(new URL('./part-worker.ts', import.meta.url), { options: o, part });
  const result = new Promise<DemoPartResult>((resolve, reject) => {
    worker.once(
      'message',
      (m: { ok: true; result: DemoPartResult } | { ok: false; code: ErrorCode; message: string }) => {
        if (m.ok) resolve(m.result);
        else reject(new AuditWsError(m.code, m.message));
        // the part is complete once it has reported; ending the thread now saves its slow natural exit
        void worker.terminate();
      },
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new AuditWsError('INTERNAL', `the demo ${part} thread stopped (exit code ${code})`)),
    );
  });
  return { result, stop: () => void worker.terminate() };
}

export async function generateDemoArchive(options: DemoOptions): Promise<DemoSummary> {
  const o = validate(options);
  const tl = buildTimeline(o.days);
  await mkdir(o.out, { recursive: true });
  if ((await readdir(o.out)).length > 0) {
    throw new AuditWsError(
      'BAD_USAGE',
      `${o.out} is not empty; the demo archive is written into a new or empty folder`,
      { file: o.out },
    );
  }
  let parts: [DemoPartResult, DemoPartResult];
  if (o.threads === 2) {
    const events = runPartOnThread(o, 'events');
    try {
      parts = await Promise.all([runDemoPart(o, 'decisions'), events.result]);
    } catch (err) {
      events.stop();
      throw err;
    }
  } else {
    parts = [await runDemoPart(o, 'decisions'), await runDemoPart(o, 'events')];
  }
  const [decisionsPart, eventsPart] = parts;
  const written = await ArchiveWriter.finishParts(
    demoWriterOptions(o, tl, () => tl.start),
    [decisionsPart.written, eventsPart.written],
  );
  // The TSA root goes beside the signing key: offered, self-asserted, for the investigator to compare
  // with the published fingerprint and pass as --trust-tsa (keys/ is outside the manifest, as the spec has it).
  await writeFile(path.join(written.dir, DEMO_TSA_ROOT_FILE), DEMO_TSA_ROOT_PEM);
  written.bytes += Buffer.byteLength(DEMO_TSA_ROOT_PEM);
  let tamper = decisionsPart.tamper;
  if (tamper?.kind === 'governance-lock') {
    tamper = {
      ...tamper,
      files: written.checkpoints.flatMap((c) => [
        c.path,
        ...(c.sigPath ? [c.sigPath] : []),
        ...(c.tsrPath ? [c.tsrPath] : []),
      ]),
    };
  }
  return {
    out: written.dir,
    seed: o.seed,
    decisions: o.decisions,
    days: o.days,
    baseDate: DEMO_BASE_DATE,
    exportedAt: exportTime(tl).toISOString(),
    keyPrefix: DEMO_KEY_PREFIX,
    publicKey: 'keys/checkpoint-signing.pub.pem',
    tsaRoot: { file: DEMO_TSA_ROOT_FILE, sha256: DEMO_TSA_ROOT_SHA256 },
    streams: written.streams.map((s) => ({
      name: s.name,
      kind: s.kind,
      records: s.records,
      files: s.files.length,
      checkpoints: s.checkpoints,
    })),
    explanations: written.explanations,
    manifestObjects: written.manifestObjects,
    bytes: written.bytes,
    plantedFindings: decisionsPart.findings,
    notableEvents: notableEvents(tl),
    ...(tamper ? { tamper } : {}),
  };
}

function notableEvents(tl: Timeline): DemoSummary['notableEvents'] {
  const pick = (modelId: string, modelVersion: string, eventType: string, note: string) => {
    const e = lifecycleEvents(tl).find(
      (x) => x.modelId === modelId && x.modelVersion === modelVersion && x.eventType === eventType,
    )!;
    return { eventId: e.eventId, eventType, modelId, modelVersion, timestamp: e.timestamp, note };
  };
  return [
    pick(CREDIT, '2.1.0', 'deployed', 'credit-limit-scorer 2.1.0 replaces 2.0.0'),
    pick(
      SUPPORT,
      '1.5.0',
      'evaluation_completed',
      'hallucination_rate_max 0.071 fails its 0.05 threshold; 1.5.0 is never deployed',
    ),
    pick(CREDIT, '2.1.0', 'rollback', 'back to 2.0.0'),
    pick(CREDIT, '2.1.0', 'retired', 'decisions by 2.1.0 after this are a planted finding'),
  ];
}

interface Rngs {
  time: Prng;
  decision: Prng;
  review: Prng;
  outcome: Prng;
  user: Prng;
  explain: Prng;
}

/** Counts what was planted, as it was generated, for the summary and docs. */
class ScenarioStats {
  readonly selection = new Map<string, { n: number; approved: number }>();
  readonly latency: string[] = [];
  latencyRange: [number, number] = [Number.POSITIVE_INFINITY, 0];
  readonly skipped: string[] = [];
  skippedCount = 0;
  readonly rubberStamp: Record<string, unknown>[] = [];
  readonly afterRetirement: string[] = [];
  afterRetirementCount = 0;
  latencyCount = 0;
  constructor(private readonly tl: Timeline) {}

  countSelection(version: string, group: string, approved: boolean): void {
    const key = `${version}|${group}`;
    const s = this.selection.get(key) ?? { n: 0, approved: 0 };
    s.n++;
    if (approved) s.approved++;
    this.selection.set(key, s);
  }

  findings(): PlantedFinding[] {
    const rate = (v: string, g: string): { decisions: number; approved: number; selectionRate: number } => {
      const s = this.selection.get(`${v}|${g}`) ?? { n: 0, approved: 0 };
      return { decisions: s.n, approved: s.approved, selectionRate: s.n ? round(s.approved / s.n, 4) : 0 };
    };
    const groups = GROUPS.map(([g]) => g);
    const byGroup = (v: string) => Object.fromEntries(groups.map((g) => [g, rate(v, g)]));
    const v21 = byGroup('2.1.0');
    const others = groups.filter((g) => g !== DISPARITY.group).map((g) => v21[g].selectionRate);
    const ids = (list: string[], count: number) => ({
      decisionIds: list,
      ...(count > list.length ? { decisionIdsTruncated: true } : {}),
    });
    return [
      {
        id: 'selection-rate-disparity',
        description: `${DISPARITY.modelId} ${DISPARITY.modelVersion} approves group ${DISPARITY.group} (inputFeatures.group) far less often than the other groups; 2.0.0 treats all groups alike`,
        modelId: DISPARITY.modelId,
        modelVersion: DISPARITY.modelVersion,
        attribute: 'inputFeatures.group',
        group: DISPARITY.group,
        favourable: 'prediction = approve',
        selectionRateByGroup: v21,
        impactRatio: round(v21[DISPARITY.group].selectionRate / Math.max(...others), 4),
        referenceVersion: { modelVersion: '2.0.0', selectionRateByGroup: byGroup('2.0.0') },
      },
      {
        id: 'latency-incident',
        description: `${FRAUD} latencyMs jumps from ${LATENCY_MS[FRAUD][0]}-${LATENCY_MS[FRAUD][1]} ms to ${LATENCY_MS.incident[0]}-${LATENCY_MS.incident[1]} ms for 90 minutes`,
        modelId: FRAUD,
        from: iso(this.tl.latencyIncident[0]),
        to: iso(this.tl.latencyIncident[1]),
        normalLatencyMs: [...LATENCY_MS[FRAUD]],
        incidentLatencyMs: this.latencyCount ? [this.latencyRange[0], this.latencyRange[1]] : [],
        decisions: this.latencyCount,
        ...ids(this.latency, this.latencyCount),
      },
      {
        id: 'skipped-human-review',
        description:
          'for 8 hours decisions that require human review (humanReviewRequired true) are not reviewed: humanReviewed false, no review task',
        from: iso(this.tl.skippedReview[0]),
        to: iso(this.tl.skippedReview[1]),
        decisions: this.skippedCount,
        ...ids(this.skipped, this.skippedCount),
      },
      {
        id: 'rubber-stamp-reviews',
        description: `${RUBBER_STAMP.reviewerId} approves ${this.rubberStamp.length} review tasks in ${RUBBER_STAMP.durationMs[0] / 1000}-${RUBBER_STAMP.durationMs[1] / 1000} s each (every other review takes ${REVIEW_DURATION_MS[0] / 1000} s to ${REVIEW_DURATION_MS[1] / 60000} min)`,
        reviewerId: RUBBER_STAMP.reviewerId,
        from: iso(this.tl.rubberStampFrom),
        reviews: this.rubberStamp,
      },
      {
        id: 'decisions-after-retirement',
        description: `${CREDIT} 2.1.0 was retired at ${iso(this.tl.retired)} yet a stale replica serves credit decisions for 2 hours`,
        modelId: CREDIT,
        modelVersion: '2.1.0',
        retiredAt: iso(this.tl.retired),
        from: iso(this.tl.postRetirement[0]),
        to: iso(this.tl.postRetirement[1]),
        decisions: this.afterRetirementCount,
        ...ids(this.afterRetirement, this.afterRetirementCount),
      },
    ];
  }
}

const MERCHANT_CATEGORIES = [
  'grocery',
  'electronics',
  'travel',
  'fuel',
  'restaurants',
  'online-marketplace',
  'gaming',
] as const;
const COUNTRIES = ['DE', 'FR', 'NL', 'ES', 'IT', 'PL', 'AT'] as const;
const REGIONS = ['north', 'south', 'east', 'west'] as const;
const CHANNELS = ['web', 'mobile', 'branch'] as const;
const SUPPORT_TOPICS = [
  'refund_status',
  'card_replacement',
  'payment_failed',
  'address_change',
  'fees_question',
  'account_locked',
] as const;
const LIMITS = [1000, 2500, 5000, 10000, 20000] as const;
const AGREE_TEXTS = [
  'documents consistent with the model inputs',
  'checked against policy CL-7',
  'no contrary evidence in file',
];
const ESCALATION_REASONS = ['policy exception requested', 'conflicting income documents', 'customer complaint on file'];

/**
 * The generation loop. Both parts run all of it that draws from the shared PRNG forks (time, decision,
 * user, review), so they see the same decisions; each builds and appends only what its part writes.
 * Outcomes and explanations draw from forks of their own and are skipped entirely by the other part.
 */
async function writeDecisions(
  writer: ArchiveWriter,
  part: DemoPart,
  o: { decisions: number; days: number; seed: number },
  tl: Timeline,
  rng: Rngs,
  stats: ScenarioStats,
  advance: (t: number) => void,
): Promise<void> {
  const step = (o.days * DAY_MS) / o.decisions;
  const userPool = Math.max(200, Math.floor(o.decisions / 4));
  const checksums = new Map<string, string>();
  for (const v of Object.values(MODEL_VERSIONS))
    checksums.set(`${v.modelId}@${v.modelVersion}`, modelChecksum(v.modelId, v.modelVersion));
  const draws = new Map<string, BalancedDraw>();
  const balanced = (key: string): BalancedDraw => {
    let d = draws.get(key);
    if (!d) draws.set(key, (d = new BalancedDraw()));
    return d;
  };
  const queue = new EventQueue();
  let rubberStampLeft: number = RUBBER_STAMP.reviews;
  const r = rng.decision;

  for (let i = 0; i < o.decisions; i++) {
    const t = tl.start + Math.floor((i + 0.05 + 0.9 * rng.time.next()) * step);
    advance(t);
    if (part === 'events') while (queue.peekTime() < t) await writer.append('reviews', queue.pop());

    const decisionId = `d-${String(i).padStart(8, '0')}`;
    const modelId = r.weighted(MODEL_MIX);
    const group = r.weighted(GROUPS);
    // uniform over a pool a quarter the size of the decisions: users recur (4 decisions each on average)
    // without any one user standing out
    const user = Math.floor(userPool * rng.user.next());
    const affectedUserId = pseudonym(o.seed, user);
    const traceId = r.hex(16);
    let modelVersion: string;
    let inputFeatures: Record<string, unknown>;
    let contextData: Record<string, unknown>;
    let prediction: unknown;
    let alternative: unknown;
    let riskTier: string;
    let consequenceLevel: string;
    let decisionCategory: string;
    let latency: number;
    let reviewRequired = false;
    let critical = false;
    let featureStoreVersion: string | null = 'fs-2026.02.3';
    let tokenUsage: Record<string, number> | null = null;
    let promptVersion: string | undefined;
    const confidence = round(r.range(0.55, 0.97), 4);

    if (modelId === CREDIT) {
      modelVersion = creditVersionAt(tl, t);
      const limit = r.pick(LIMITS);
      const income = 18000 + r.int(160) * 1000;
      const tenureYears = round(r.range(0, 25), 1);
      const hasPriorDefault = r.chance(0.08);
      inputFeatures = { group, hasPriorDefault, income, region: r.pick(REGIONS), requestedLimit: limit, tenureYears };
      contextData = { channel: r.pick(CHANNELS), applicationId: `app-${decisionId.slice(2)}` };
      const p =
        modelVersion === DISPARITY.modelVersion && group === DISPARITY.group
          ? DISPARITY.approvalRate
          : CREDIT_APPROVAL_RATE[modelVersion as '2.0.0' | '2.1.0'];
      const approved = balanced(`${modelVersion}|${group}`).draw(r, p);
      stats.countSelection(modelVersion, group, approved);
      prediction = approved ? 'approve' : 'decline';
      alternative = approved ? 'decline' : 'approve';
      riskTier = 'high';
      consequenceLevel = approved ? 'material' : 'significant';
      decisionCategory = 'credit_limit';
      latency = round(r.range(LATENCY_MS[CREDIT][0], LATENCY_MS[CREDIT][1]), 2);
      reviewRequired = !approved && limit >= REVIEW_LIMIT_THRESHOLD;
      if (modelVersion === '2.1.0' && inWindow(t, tl.postRetirement)) {
        stats.afterRetirementCount++;
        if (stats.afterRetirement.length < ID_LIST_LIMIT) stats.afterRetirement.push(decisionId);
      }
    } else if (modelId === FRAUD) {
      modelVersion = MODEL_VERSIONS.fraud.modelVersion;
      const amount = round(r.range(5, 2500), 2);
      const merchantCategory = r.pick(MERCHANT_CATEGORIES);
      const country = r.pick(COUNTRIES);
      const cardPresent = r.chance(0.6);
      inputFeatures = { accountAgeDays: r.int(3650), amount, cardPresent, country, group, merchantCategory };
      contextData = { channel: 'card-authorisation', terminalId: `t-${r.hex(4)}` };
      const block = balanced(`fraud|${group}`).draw(r, FRAUD_BLOCK_RATE);
      prediction = block ? 'block' : 'allow';
      alternative = block ? 'allow' : 'block';
      critical = block;
      riskTier = block ? 'critical' : 'high';
      consequenceLevel = block ? 'significant' : 'minor';
      decisionCategory = 'fraud_screening';
      reviewRequired = block;
      if (inWindow(t, tl.latencyIncident)) {
        latency = round(r.range(LATENCY_MS.incident[0], LATENCY_MS.incident[1]), 2);
        stats.latencyCount++;
        stats.latencyRange = [Math.min(stats.latencyRange[0], latency), Math.max(stats.latencyRange[1], latency)];
        if (stats.latency.length < ID_LIST_LIMIT) stats.latency.push(decisionId);
      } else {
        latency = round(r.range(LATENCY_MS[FRAUD][0], LATENCY_MS[FRAUD][1]), 2);
      }
    } else {
      modelVersion = MODEL_VERSIONS.support.modelVersion;
      const topic = r.pick(SUPPORT_TOPICS);
      const channel = r.pick(['chat', 'email'] as const);
      const language = r.pick(['en', 'de', 'fr'] as const);
      inputFeatures = { channel, group, language, messageLength: 20 + r.int(1180), topic };
      contextData = { conversationId: `conv-${r.hex(6)}`, turn: 1 + r.int(4) };
      prediction = { intent: topic, replyTemplate: `T${1 + r.int(12)}` };
      alternative = { intent: r.pick(SUPPORT_TOPICS.filter((x) => x !== topic)), replyTemplate: `T${1 + r.int(12)}` };
      riskTier = 'limited';
      consequenceLevel = 'minor';
      decisionCategory = 'customer_support';
      latency = round(r.range(LATENCY_MS[SUPPORT][0], LATENCY_MS[SUPPORT][1]), 2);
      featureStoreVersion = null;
      const promptTokens = 300 + r.int(1200);
      const completionTokens = 40 + r.int(360);
      tokenUsage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
      promptVersion = 'support-prompt-v7';
    }

    // inputFeatures are built with their members in RFC 8785 order and hold no null or non-integer-safe
    // value, so JSON.stringify yields the canonical text inputHash is defined over (the tests check this
    // against the canonicalize library)
    // human review: planned now, its events released into the reviews stream in time order
    let review: PlannedReview | undefined;
    const skipped = reviewRequired && inWindow(t, tl.skippedReview);
    if (skipped) {
      stats.skippedCount++;
      if (stats.skipped.length < ID_LIST_LIMIT) stats.skipped.push(decisionId);
    } else if (reviewRequired) {
      const created = t + 1000 + rng.review.int(4000);
      const rubber = rubberStampLeft > 0 && created >= tl.rubberStampFrom;
      if (rubber) rubberStampLeft--;
      review = planReview(
        rng.review,
        decisionId,
        modelId,
        prediction as string,
        created,
        rubber,
        inputFeatures.requestedLimit as number,
      );
      if (part === 'events') for (const [time, ev] of review.events) queue.push(time, ev);
      if (rubber) stats.rubberStamp.push(review.summary);
    }

    if (critical && part === EXPLANATIONS_PART) {
      await writer.writeExplanation(
        `exp-${decisionId}`,
        explanation(rng.explain, { decisionId, modelId, modelVersion, inputFeatures, prediction }, t),
      );
    }
    if (part === 'events') {
      const finalDecision = review ? review.finalDecision : prediction;
      const outcome = drawOutcome(rng.outcome, modelId, finalDecision);
      if (outcome) {
        await writer.append('outcomes', {
          decisionId,
          observedAt: iso(t + OUTCOME_DELAY_MS),
          outcome: outcome.outcome,
          source: outcome.source,
        });
      }
      continue;
    }

    const record: Record<string, unknown> = {
      traceId,
      decisionId,
      timestamp: iso(t),
      modelId,
      modelVersion,
      modelChecksum: checksums.get(`${modelId}@${modelVersion}`),
      riskTier,
      inputHash: oneShotHash('sha256', JSON.stringify(inputFeatures), 'hex'),
      inputFeatures,
      featureStoreVersion,
      contextData,
      prediction,
      confidence,
      alternativePredictions: [{ prediction: alternative, confidence: round(1 - confidence, 4) }],
      explanationRef: critical ? `exp-${decisionId}` : null,
      humanReviewRequired: reviewRequired,
      humanReviewed: review !== undefined,
      humanOverride: review ? review.finalDecision !== prediction : false,
      humanReviewerId: review ? review.finalReviewer : null,
      humanDecision: review ? review.finalDecision : null,
      overrideReason: review && review.finalDecision !== prediction ? review.overrideReason : null,
      affectedUserId,
      decisionCategory,
      consequenceLevel,
      latencyMs: latency,
      tokenUsage,
      environment: 'production',
    };
    if (review) record.taskId = review.taskId;
    if (promptVersion) record.promptVersion = promptVersion;
    await writer.append('decisions', record);
  }
  while (queue.size > 0) await writer.append('reviews', queue.pop());
}

interface PlannedReview {
  taskId: string;
  events: [number, Record<string, unknown>][];
  finalReviewer: string;
  finalDecision: string;
  overrideReason: string;
  summary: Record<string, unknown>;
}

/** created -> assigned -> reviewed, or created -> assigned -> escalated -> reviewed (by a lead) -> resolved. */
function planReview(
  r: Prng,
  decisionId: string,
  modelId: string,
  prediction: string,
  created: number,
  rubberStamp: boolean,
  requestedLimit: number | undefined,
): PlannedReview {
  const taskId = `task-${decisionId}`;
  const ev = (
    eventType: string,
    time: number,
    members: Record<string, unknown> = {},
  ): [number, Record<string, unknown>] => [
    time,
    { eventId: `rv-${decisionId}-${eventType}`, taskId, decisionId, eventType, timestamp: iso(time), ...members },
  ];
  const events: [number, Record<string, unknown>][] = [ev('created', created)];
  const reviewer = rubberStamp ? RUBBER_STAMP.reviewerId : r.pick(REVIEWERS);
  const assigned = created + 20_000 + r.int(280_000);
  events.push(ev('assigned', assigned, { reviewerId: reviewer }));
  const escalate = !rubberStamp && r.chance(0.04);
  let finalReviewer: string = reviewer;
  let reviewStart = assigned;
  if (escalate) {
    const lead = r.pick(LEAD_REVIEWERS);
    const escalatedAt = assigned + 30_000 + r.int(270_000);
    events.push(
      ev('escalated', escalatedAt, {
        fromReviewerId: reviewer,
        toReviewerId: lead,
        reason: r.pick(ESCALATION_REASONS),
      }),
    );
    finalReviewer = lead;
    reviewStart = escalatedAt;
  }
  const durationMs = rubberStamp
    ? RUBBER_STAMP.durationMs[0] + r.int(RUBBER_STAMP.durationMs[1] - RUBBER_STAMP.durationMs[0])
    : REVIEW_DURATION_MS[0] + r.int(REVIEW_DURATION_MS[1] - REVIEW_DURATION_MS[0]);
  const reviewedAt = reviewStart + durationMs;
  const opposite =
    modelId === CREDIT
      ? prediction === 'approve'
        ? 'decline'
        : 'approve'
      : prediction === 'block'
        ? 'allow'
        : 'block';
  const u = rubberStamp ? 1 : r.next();
  let action: 'approve' | 'reject' | 'modify' = 'approve';
  if (u < 0.04) action = 'reject';
  else if (u < 0.06 && modelId === CREDIT && requestedLimit !== undefined) action = 'modify';
  const finalDecision = action === 'approve' ? prediction : opposite;
  const overrideReason =
    action === 'modify'
      ? 'approved at a reduced limit after manual affordability check'
      : 'reviewer evidence contradicts the model';
  const rationale =
    action === 'approve'
      ? { code: 'AGREE', text: rubberStamp ? 'ok' : r.pick(AGREE_TEXTS) }
      : action === 'reject'
        ? { code: 'OVERRIDE', text: overrideReason }
        : { code: 'ADJUST', text: overrideReason };
  const reviewed: Record<string, unknown> = { reviewerId: finalReviewer, action };
  if (action === 'modify') reviewed.changes = { approvedLimit: Math.floor((requestedLimit ?? 0) / 2) };
  reviewed.rationale = rationale;
  reviewed.durationMs = durationMs;
  events.push(ev('reviewed', reviewedAt, reviewed));
  if (escalate) {
    events.push(
      ev('resolved', reviewedAt + 1000 + r.int(59_000), {
        reviewerId: finalReviewer,
        resolution: action === 'approve' ? 'upheld' : 'overturned',
      }),
    );
  }
  return {
    taskId,
    events,
    finalReviewer,
    finalDecision,
    overrideReason,
    summary: { taskId, decisionId, eventId: `rv-${decisionId}-reviewed`, timestamp: iso(reviewedAt), durationMs },
  };
}

function drawOutcome(
  r: Prng,
  modelId: string,
  finalDecision: unknown,
): { outcome: string; source: string } | undefined {
  const u = r.next();
  if (modelId === CREDIT) {
    if (finalDecision !== 'approve' || u >= 0.5) return undefined;
    return { outcome: u < 0.025 ? 'defaulted' : 'repaid', source: 'loan-servicing' };
  }
  if (modelId === FRAUD) {
    if (finalDecision === 'block')
      return u < 0.9
        ? { outcome: u < 0.63 ? 'confirmed_fraud' : 'false_positive', source: 'chargeback-desk' }
        : undefined;
    return u < 0.01 ? { outcome: 'chargeback', source: 'card-network' } : undefined;
  }
  if (u >= 0.1) return undefined;
  return { outcome: u < 0.085 ? 'resolved' : 'reopened', source: 'crm' };
}

function explanation(
  r: Prng,
  d: {
    decisionId: string;
    modelId: string;
    modelVersion: string;
    inputFeatures: Record<string, unknown>;
    prediction: unknown;
  },
  t: number,
): Record<string, unknown> {
  const features = d.inputFeatures;
  const attributions = Object.entries(features)
    .filter(([k]) => k !== 'group')
    .map(([feature, value]) => ({ feature, value, contribution: round(r.range(-0.15, 0.35), 4) }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature.localeCompare(b.feature));
  return {
    explanationRef: `exp-${d.decisionId}`,
    decisionId: d.decisionId,
    modelId: d.modelId,
    modelVersion: d.modelVersion,
    method: 'tree-shap',
    generatedAt: iso(t + 1500),
    baseValue: 0.031,
    output: d.prediction,
    attributions,
  };
}
