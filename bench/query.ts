/**
 * Investigation queries at scale: `npm run bench -- --only query --records 10000000`.
 *
 * The case is made by DuckDB itself (INSERT ... SELECT FROM range(N)) rather than through JSON files and
 * the importer, so ten million decisions take a minute, not an hour: decisions with the demo's models,
 * groups, rates and lifecycle, random-looking ids (no help from min/max pruning), review events for
 * the reviewed ones, outcomes for a third. The `raw` column holds a short text instead of the full
 * record (no query reads it). Rows carry no import id: the case.sqlite of this case records no import,
 * and a case opened for writing removes evidence rows of imports it does not know (store.ts). Then the lookup tables are built, the case is reopened read-only as the
 * CLI does, and each query is timed: the first (cold) run and the median of five warm runs. A query's
 * time includes building its query context, as every CLI or UI request does.
 *
 * `--workspace DIR --case NAME` measures an existing case instead (opened read-only, never changed: a
 * real import, e.g. the 10M demo archive), so nothing is generated; the lookup tables it was built with
 * are used as they are, and any that are missing or stale are named (the queries then scan: same
 * results, slower). To measure lookup tables of a newer build, copy the case folder and rebuild them
 * in the copy (docs/benchmarks.md).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaseHandle } from '../src/case/store.ts';
import { Workspace } from '../src/case/workspace.ts';
import { buildTimeline, lifecycleEvents } from '../src/demo/scenario.ts';
import { ANOMALY_FILTERS, runAnomaly } from '../src/query/anomalies/index.ts';
import { queryContext } from '../src/query/context.ts';
import { queryRows } from '../src/query/db.ts';
import { fairness } from '../src/query/fairness.ts';
import { DECISION_FACTS, FACT_MODELS, FACT_VALUES } from '../src/query/facts.ts';
import { LINKS_TABLE, LOOKUPS, buildLookups } from '../src/query/lookups.ts';
import { KEPT_EVALUATION_SEGMENTS, KEPT_LIFECYCLE_MODELS, KEPT_VERSION_SEGMENTS } from '../src/query/model-state.ts';
import { oversight } from '../src/query/oversight.ts';
import { search } from '../src/query/search.ts';
import { timeline } from '../src/query/timeline.ts';
import type { BenchEntry, BenchOptions } from './types.ts';

/** Derived tables the queries use when fresh (named when a measured case lacks them). */
const EXPECTED_LOOKUPS = [
  ...LOOKUPS.map((l) => l.name),
  LINKS_TABLE,
  KEPT_VERSION_SEGMENTS,
  KEPT_EVALUATION_SEGMENTS,
  KEPT_LIFECYCLE_MODELS,
  DECISION_FACTS,
  FACT_MODELS,
  FACT_VALUES,
];

const DAYS = 90;
const BASE = '2026-03-01T00:00:00Z';

/**
 * 64 lowercase hex digits, unique per value of `expr` (one 64-bit DuckDB hash, its 16 digits four times:
 * the shape of a SHA-256 at a quarter of the formatting cost, which dominates making the case).
 */
function hex64(expr: string, salt: number): string {
  return `repeat(printf('%016x', hash(${expr}, ${salt})), 4)`;
}

function decisionsSql(n: number): string {
  const tl = buildTimeline(DAYS);
  const frac = (t: number) => (t - tl.start) / (tl.end - tl.start);
  const deployed = frac(tl.credit21Deployed);
  const rollback = frac(tl.rollback);
  const stale = [frac(tl.postRetirement[0]), frac(tl.postRetirement[1])];
  const incident = [frac(tl.latencyIncident[0]), frac(tl.latencyIncident[1])];
  return `INSERT INTO decisions BY NAME
  WITH base AS (
    SELECT i, i / ${n}::DOUBLE AS f, hash(i, 1) % 100 AS m, hash(i, 2) % 100 AS g, hash(i, 3) % 1000 AS u, hash(i, 4) % 100 AS r,
      (i::DOUBLE * ${DAYS} / ${n})::BIGINT AS day
    FROM range(${n}) t(i)
  ), shaped AS (
    SELECT *,
      CASE WHEN m < 40 THEN 'credit-limit-scorer' WHEN m < 75 THEN 'fraud-detector' ELSE 'support-reply-llm' END AS model_id,
      CASE WHEN g < 35 THEN 'A' WHEN g < 65 THEN 'B' WHEN g < 85 THEN 'C' ELSE 'D' END AS grp
    FROM base
  ), decided AS (
    SELECT *,
      CASE model_id WHEN 'credit-limit-scorer' THEN
          CASE WHEN (f >= ${deployed} AND f < ${rollback}) OR (f >= ${stale[0]} AND f < ${stale[1]}) THEN '2.1.0' ELSE '2.0.0' END
        WHEN 'fraud-detector' THEN '5.3.1' ELSE '1.4.0' END AS model_version
    FROM shaped
  ), predicted AS (
    SELECT *,
      CASE model_id
        WHEN 'credit-limit-scorer' THEN CASE WHEN u < (CASE WHEN model_version = '2.1.0' AND grp = 'C' THEN 330 ELSE 680 END) THEN 'approve' ELSE 'decline' END
        WHEN 'fraud-detector' THEN CASE WHEN u < 30 THEN 'block' ELSE 'allow' END
        ELSE '{"intent":"refund_status","replyTemplate":"T' || (u % 12 + 1) || '"}' END AS prediction
    FROM decided
  ), reviewed AS (
    SELECT *, (prediction = 'decline' AND r < 60) OR prediction = 'block' AS required
    FROM predicted
  )
  SELECT
    'decisions' AS stream, i AS seq, ${hex64('i', 10)} AS hash, ${hex64('i - 1', 10)} AS prev_hash,
    printf('%016x%016x', hash(i, 20), hash(i, 21)) AS trace_id,
    'd-' || printf('%016x', hash(i, 22)) AS decision_id,
    TIMESTAMPTZ '${BASE}' + to_microseconds((f * ${DAYS} * 86400000000)::BIGINT) AS "timestamp",
    (TIMESTAMPTZ '${BASE}' + to_microseconds((f * ${DAYS} * 86400000000)::BIGINT))::VARCHAR AS timestamp_text,
    model_id, model_version, 'sha256:' || printf('%016x', hash(model_id, model_version)) AS model_checksum,
    CASE WHEN prediction = 'block' THEN 'critical' WHEN model_id = 'support-reply-llm' THEN 'limited' ELSE 'high' END AS risk_tier,
    ${hex64('i', 30)} AS input_hash,
    json_object('group', grp, 'income', 18000 + (hash(i, 5) % 160) * 1000, 'region', ['north','south','east','west'][(hash(i, 6) % 4)::INT + 1],
      'requestedLimit', [1000, 2500, 5000, 10000, 20000][(hash(i, 7) % 5)::INT + 1], 'tenureYears', (hash(i, 8) % 250) / 10.0) AS input_features,
    'fs-2026.02.3' AS feature_store_version,
    json_object('channel', ['web','mobile','branch'][(hash(i, 9) % 3)::INT + 1]) AS context_data,
    prediction,
    0.55 + (hash(i, 11) % 4200) / 10000.0 AS confidence,
    CASE WHEN prediction = 'block' THEN 'exp-' || printf('%016x', hash(i, 22)) END AS explanation_ref,
    required AS human_review_required,
    required AND NOT (f >= 0.6 AND f < 0.6 + 3.0 / 24 / ${DAYS}) AS human_reviewed,
    required AND r % 17 = 0 AS human_override,
    CASE WHEN required THEN 'rev-0' || (hash(i, 12) % 6 + 1) END AS human_reviewer_id,
    CASE WHEN required AND r % 17 = 0 THEN CASE prediction WHEN 'decline' THEN 'approve' ELSE 'allow' END END AS human_decision,
    CASE WHEN required AND r % 17 = 0 THEN 'reviewer evidence contradicts the model' END AS override_reason,
    ${hex64(`hash(i, 13) % ${Math.max(1, Math.floor(n / 4))}`, 40)} AS affected_user_id,
    CASE model_id WHEN 'credit-limit-scorer' THEN 'credit_limit' WHEN 'fraud-detector' THEN 'fraud_screening' ELSE 'customer_support' END AS decision_category,
    CASE WHEN prediction IN ('decline', 'block') THEN 'significant' ELSE 'minor' END AS consequence_level,
    CASE model_id
      WHEN 'credit-limit-scorer' THEN 35 + (hash(i, 14) % 6000) / 100.0
      WHEN 'fraud-detector' THEN CASE WHEN f >= ${incident[0]} AND f < ${incident[1]} THEN 4000 + (hash(i, 14) % 5000) ELSE 18 + (hash(i, 14) % 2400) / 100.0 END
      ELSE 700 + (hash(i, 14) % 170000) / 100.0 END AS latency_ms,
    'production' AS environment,
    CASE WHEN required AND NOT (f >= 0.6 AND f < 0.6 + 3.0 / 24 / ${DAYS}) THEN 'task-' || printf('%016x', hash(i, 22)) END AS task_id,
    'camelCase' AS dialect, NULL::BIGINT AS import_id, 1 + day AS source_file_id,
    'decisions/' || (DATE '${BASE.slice(0, 10)}' + day::INTEGER)::VARCHAR || '.jsonl' AS source_file,
    i - ceil(day * ${n}::DOUBLE / ${DAYS})::BIGINT + 1 AS line,
    '{"decisionId":"d-' || printf('%016x', hash(i, 22)) || '"}' AS raw
  FROM reviewed`;
}

/** created, assigned, reviewed for every reviewed decision; 4% escalate and resolve; the first 12 after f=0.7 are rubber stamps. */
function reviewsSql(): string {
  return `INSERT INTO reviews BY NAME
  WITH tasks AS (
    SELECT decision_id, task_id, human_reviewer_id AS reviewer, "timestamp" AS t, seq AS dseq, source_file_id,
      hash(seq, 50) % 100 < 4 AS escalated, CASE WHEN human_override THEN 'reject' ELSE 'approve' END AS action,
      row_number() OVER (ORDER BY seq) AS k
    FROM decisions WHERE task_id IS NOT NULL
  ), events AS (
    SELECT tasks.*, e.event_type, e.ord,
      t + to_microseconds((e.ord * 60 + 5) * 1000000) AS ts
    FROM tasks, (VALUES ('created', 0), ('assigned', 1), ('escalated', 2), ('reviewed', 3), ('resolved', 4)) e(event_type, ord)
    WHERE e.event_type NOT IN ('escalated', 'resolved') OR escalated
  )
  SELECT 'reviews' AS stream, row_number() OVER (ORDER BY ts, ord) - 1 AS seq,
    ${hex64('k * 8 + ord', 60)} AS hash, ${hex64('k * 8 + ord - 1', 60)} AS prev_hash,
    'rv-' || decision_id || '-' || event_type AS event_id, task_id, decision_id, event_type,
    ts AS "timestamp", strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp_text,
    CASE event_type WHEN 'assigned' THEN reviewer WHEN 'reviewed' THEN CASE WHEN escalated THEN 'rev-lead-1' ELSE reviewer END WHEN 'resolved' THEN 'rev-lead-1' END AS reviewer_id,
    CASE WHEN event_type = 'reviewed' THEN action END AS action,
    CASE WHEN event_type = 'reviewed' THEN json_object('code', 'AGREE', 'text', 'checked against policy CL-7') END AS rationale,
    CASE WHEN event_type = 'reviewed' THEN 45000 + hash(dseq, 51) % 855000 END AS duration_ms,
    CASE WHEN event_type = 'escalated' THEN reviewer END AS from_reviewer_id,
    CASE WHEN event_type = 'escalated' THEN 'rev-lead-1' END AS to_reviewer_id,
    CASE WHEN event_type = 'escalated' THEN 'policy exception requested' END AS reason,
    CASE WHEN event_type = 'resolved' THEN 'upheld' END AS resolution,
    'camelCase' AS dialect, NULL::BIGINT AS import_id, 100000 + source_file_id AS source_file_id,
    'reviews/' || strftime(t, '%Y-%m-%d') || '.jsonl.gz' AS source_file, k * 5 + ord AS line, '{}' AS raw
  FROM events`;
}

function outcomesSql(): string {
  return `INSERT INTO outcomes BY NAME
  SELECT 'outcomes' AS stream, row_number() OVER (ORDER BY seq) - 1 AS seq, ${hex64('seq', 70)} AS hash, ${hex64('seq - 1', 70)} AS prev_hash,
    decision_id, "timestamp" + INTERVAL 30 DAY AS observed_at, strftime("timestamp" + INTERVAL 30 DAY, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at_text,
    CASE model_id WHEN 'credit-limit-scorer' THEN CASE WHEN hash(seq, 71) % 40 = 0 THEN 'defaulted' ELSE 'repaid' END
      WHEN 'fraud-detector' THEN CASE WHEN prediction = 'block' THEN 'confirmed_fraud' ELSE 'chargeback' END ELSE 'resolved' END AS outcome,
    'servicing' AS source, 'camelCase' AS dialect, NULL::BIGINT AS import_id, 200000 AS source_file_id, 'outcomes/all.jsonl' AS source_file, seq + 1 AS line, '{}' AS raw
  FROM decisions
  WHERE (model_id = 'credit-limit-scorer' AND prediction = 'approve' AND hash(seq, 72) % 2 = 0) OR prediction = 'block'
     OR (model_id = 'fraud-detector' AND hash(seq, 72) % 100 = 0) OR (model_id = 'support-reply-llm' AND hash(seq, 72) % 10 = 0)`;
}

/**
 * The first (cold) run, then the median of `warm` runs, in wall time and in CPU time of this process
 * (DuckDB's threads included): on a machine other jobs share, CPU time says what the query costs and
 * wall time what it took.
 */
async function timed<T>(
  fn: () => Promise<T>,
  warm = 5,
): Promise<{ coldMs: number; ms: number; cpuMs: number; result: T }> {
  let t = performance.now();
  const result = await fn();
  const coldMs = performance.now() - t;
  const runs: { ms: number; cpu: number }[] = [];
  for (let k = 0; k < warm; k++) {
    const cpu = process.cpuUsage();
    t = performance.now();
    await fn();
    const used = process.cpuUsage(cpu);
    runs.push({ ms: performance.now() - t, cpu: (used.user + used.system) / 1000 });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const mid = runs[Math.floor(runs.length / 2)];
  return { coldMs, ms: mid.ms, cpuMs: mid.cpu, result };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Makes the benchmark case in `dir` (which must not exist): lifecycle, decisions, reviews, outcomes, lookup tables. */
export async function makeBenchCase(
  dir: string,
  records: number,
  log: (line: string) => void,
): Promise<{ lookupsMs: number }> {
  let t = performance.now();
  const w = await CaseHandle.create(
    dir,
    { name: 'bench', slug: 'bench', actor: 'bench' },
    { duckdb: { memoryLimit: '2GB' } },
  );
  try {
    const tl = buildTimeline(DAYS);
    for (const e of lifecycleEvents(tl)) {
      await w.duck.run(
        `INSERT INTO lifecycle_events (stream, event_id, event_type, model_id, model_version, timestamp_text, "timestamp", actor, details, evaluation_results, source_file, line, import_id)
         VALUES ('lifecycle', $id, $type, $model, $version, $ts, $ts::TIMESTAMPTZ, $actor, $details, $results, 'lifecycle/all.jsonl', 1, NULL)`,
        {
          id: e.eventId,
          type: e.eventType,
          model: e.modelId,
          version: e.modelVersion,
          ts: e.timestamp,
          actor: e.actor,
          details: JSON.stringify(e.details),
          results: e.evaluationResults ? JSON.stringify(e.evaluationResults) : null,
        },
      );
    }
    await w.duck.run(decisionsSql(records));
    log(`  made ${records} decisions in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await w.duck.run(reviewsSql());
    await w.duck.run(outcomesSql());
    const counts = await queryRows(
      w.duck,
      `SELECT (SELECT count(*) FROM reviews) AS reviews, (SELECT count(*) FROM outcomes) AS outcomes`,
    );
    log(
      `  made ${counts[0].reviews} review events and ${counts[0].outcomes} outcomes in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    await w.duck.run('CHECKPOINT');
    t = performance.now();
    await buildLookups(w.duck);
    return { lookupsMs: performance.now() - t };
  } finally {
    await w.close();
  }
}

export async function benchQuery(
  records: number,
  log: (line: string) => void,
  options: BenchOptions = {},
): Promise<BenchEntry[]> {
  if ((options.workspace === undefined) !== (options.case === undefined))
    throw new Error('--workspace DIR and --case NAME go together');
  // AUDIT_WS_BENCH_QUERY_CASE=DIR keeps the case in DIR (made there when missing) to time the queries
  // again without making ten million decisions again
  const keep = options.workspace ? undefined : process.env.AUDIT_WS_BENCH_QUERY_CASE;
  const given = options.workspace ? new Workspace(path.resolve(options.workspace)).locate(options.case!) : undefined;
  const root = given
    ? undefined
    : keep
      ? path.dirname(path.resolve(keep))
      : mkdtempSync(path.join(os.tmpdir(), 'audit-ws-bench-query-'));
  const dir = given ?? (keep ? path.resolve(keep) : path.join(root!, 'case'));
  const entries: BenchEntry[] = [];
  const add = (name: string, value: number, unit = 'ms', target?: number) => {
    entries.push({ name: `query.${name}`, value: round(value), unit });
    log(
      `  ${name.padEnd(34)} ${String(round(value)).padStart(9)} ${unit}${target !== undefined ? `   (target < ${target} ${unit}: ${value < target ? 'met' : 'MISSED'})` : ''}`,
    );
  };
  try {
    if (given) log(`  measuring the case in ${dir} (read-only)`);
    else if (!keep || !existsSync(dir)) {
      const { lookupsMs } = await makeBenchCase(dir, records, log);
      add('lookups_build_ms', lookupsMs);
    } else log(`  reusing the case in ${dir}`);

    const h = await CaseHandle.open(dir, { mode: 'read', duckdb: { memoryLimit: '2GB' } });
    try {
      const ctx0 = await queryContext(h);
      const [{ n: decisions }] = await queryRows(h.duck, 'SELECT count(*) AS n FROM decisions');
      records = Number(decisions);
      add('decisions', records, 'decisions');
      const missing = EXPECTED_LOOKUPS.filter((t) => !ctx0.lookups.has(t));
      if (missing.length > 0)
        log(`  NOTE: lookup tables missing or out of date (those queries scan instead): ${missing.join(', ')}`);
      // a reviewed, escalated credit decline with an outcome-free history: the busiest kind of timeline
      const [pick] = await queryRows(
        h.duck,
        `SELECT d.decision_id FROM decisions d WHERE d.task_id IS NOT NULL AND d.model_id = 'credit-limit-scorer'
         AND d.decision_id IN (SELECT decision_id FROM reviews WHERE event_type = 'escalated' LIMIT 1000) LIMIT 1`,
      );
      const id = String(pick.decision_id);
      const [mid] = await queryRows(
        h.duck,
        `SELECT decision_id FROM decisions WHERE seq = ${Math.floor(records * 0.77)}`,
      );

      const lookup = await timed(async () =>
        search(await queryContext(h), { decisionId: String(mid.decision_id), facets: [] }),
      );
      if (lookup.result.total !== 1) throw new Error('point lookup found no decision');
      add('lookup_ms', lookup.ms, 'ms', 50);
      add('lookup_cpu_ms', lookup.cpuMs);
      add('lookup_cold_ms', lookup.coldMs);

      const tlr = await timed(async () => timeline(await queryContext(h), { decisionId: id }));
      log(`    timeline of ${id}: ${tlr.result.events.length} events, ${tlr.result.nearby[0]?.total ?? 0} nearby`);
      add('timeline_ms', tlr.ms, 'ms', 50);
      add('timeline_cpu_ms', tlr.cpuMs);
      add('timeline_cold_ms', tlr.coldMs);

      const unfiltered = await timed(async () => search(await queryContext(h), {}));
      add('search_page_unfiltered_ms', unfiltered.ms, 'ms', 300);
      const filtered = await timed(async () =>
        search(await queryContext(h), {
          modelId: 'credit-limit-scorer',
          from: '2026-04-01T00:00:00Z',
          to: '2026-05-01T00:00:00Z',
          sort: '-time',
        }),
      );
      log(`    filtered page: ${filtered.result.total} matching, facets ${filtered.result.facetSource}`);
      add('search_page_filtered_ms', filtered.ms, 'ms', 300);
      add('search_page_filtered_cpu_ms', filtered.cpuMs);
      const text = await timed(async () =>
        search(await queryContext(h), { text: String(mid.decision_id).slice(0, 8) }),
      );
      add('search_text_prefix_ms', text.ms, 'ms', 300);
      add('search_page_ms', Math.max(unfiltered.ms, filtered.ms), 'ms', 300);

      let slowest = 0;
      for (const f of ANOMALY_FILTERS) {
        const r = await timed(() => runAnomaly(ctx0, f), 2);
        log(`    ${f.id}: ${r.result.total} hits`);
        add(`anomaly_${f.id.replace(/-/g, '_')}_ms`, r.ms, 'ms', 2000);
        add(`anomaly_${f.id.replace(/-/g, '_')}_cpu_ms`, r.cpuMs);
        slowest = Math.max(slowest, r.ms);
      }
      add('anomaly_max_ms', slowest, 'ms', 2000);

      const fair = await timed(
        () => fairness(ctx0, { attribute: 'inputFeatures.group', positivePrediction: 'approve' }),
        2,
      );
      add('fairness_ms', fair.ms, 'ms', 1000);
      add('fairness_cpu_ms', fair.cpuMs);
      const fairModel = await timed(
        () =>
          fairness(ctx0, {
            attribute: 'inputFeatures.group',
            positivePrediction: 'approve',
            modelId: 'credit-limit-scorer',
          }),
        2,
      );
      add('fairness_one_model_ms', fairModel.ms, 'ms', 1000);
      const fairOutcome = await timed(
        () =>
          fairness(ctx0, {
            attribute: 'inputFeatures.group',
            positivePrediction: 'approve',
            positiveOutcome: 'repaid',
            modelId: 'credit-limit-scorer',
          }),
        2,
      );
      add('fairness_with_outcomes_ms', fairOutcome.ms, 'ms', 1000);
      const ov = await timed(() => oversight(ctx0), 2);
      add('oversight_ms', ov.ms);
    } finally {
      await h.close();
    }
  } finally {
    if (!keep && root) rmSync(root, { recursive: true, force: true });
  }
  return entries;
}
