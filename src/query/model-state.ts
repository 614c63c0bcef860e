/**
 * What the lifecycle events say about a model version at a moment, as SQL relations that decisions
 * can be joined to (used by the timeline and by the anomaly filters, so both judge alike).
 *
 * Deployment: a version serves from its `deployed` event until its own `rollback` or `retired` event.
 * Deploying a newer version does not end an older one (a rollback to the older version is commonly
 * logged on the newer version only, with no new `deployed` event for the older one), and `deprecated`
 * is a notice, not an end. A model whose lifecycle the case does not hold at all is not judged.
 *
 * Evaluation: from an `evaluation_completed` event until the version's next one, the version stands
 * as evaluated `passed` or `failed`: failed when any of its evaluationResults has `passed: false`, or
 * when details.passed is false.
 */
import { KIND_TABLES } from '../case/evidence-schema.ts';

const LIFECYCLE = KIND_TABLES.lifecycle;

export type VersionState =
  | 'deployed'
  | 'before-deployment'
  | 'after-rollback'
  | 'after-retirement'
  | 'never-deployed'
  | 'unknown'
  | 'no-lifecycle';

/** States that make a decision suspicious (anomaly filter version-outside-window). */
export const OUTSIDE_WINDOW_STATES: readonly VersionState[] = [
  'after-retirement',
  'after-rollback',
  'before-deployment',
  'never-deployed',
];

/**
 * `version_segments(model_id, model_version, from_ts, to_ts, state, event_id)`: consecutive periods of
 * each version with a lifecycle, [from_ts, to_ts), covering all time. Before the first deployment /
 * rollback / retirement event the state is `before-deployment` when that event is a deployment, else
 * `unknown` (the case holds only the end of that version's history).
 */
export const VERSION_SEGMENTS_SQL = `version_events AS (
  SELECT model_id, model_version, "timestamp" AS ts, event_type, event_id,
    CASE event_type WHEN 'deployed' THEN 'deployed' WHEN 'rollback' THEN 'after-rollback' ELSE 'after-retirement' END AS state,
    -- at one instant, a deployment is taken to come before an end
    CASE event_type WHEN 'deployed' THEN 0 WHEN 'rollback' THEN 1 ELSE 2 END AS rank
  FROM ${LIFECYCLE}
  WHERE event_type IN ('deployed', 'rollback', 'retired') AND "timestamp" IS NOT NULL AND model_id IS NOT NULL AND model_version IS NOT NULL
),
version_segments AS (
  SELECT model_id, model_version, ts AS from_ts,
    coalesce(lead(ts) OVER w, 'infinity'::TIMESTAMPTZ) AS to_ts,
    state,
    event_id
  FROM version_events
  WINDOW w AS (PARTITION BY model_id, model_version ORDER BY ts, rank, event_id)
  UNION ALL
  SELECT model_id, model_version, '-infinity'::TIMESTAMPTZ, min(ts),
    CASE WHEN arg_min(event_type, (ts, rank)) = 'deployed' THEN 'before-deployment' ELSE 'unknown' END, NULL
  FROM version_events GROUP BY model_id, model_version
),
lifecycle_models AS (
  SELECT DISTINCT model_id FROM ${LIFECYCLE} WHERE model_id IS NOT NULL
),
deployed_models AS (
  SELECT DISTINCT model_id FROM version_events WHERE event_type = 'deployed'
)`;

/**
 * `evaluation_segments(model_id, model_version, from_ts, to_ts, passed, event_id, failed_metrics)`:
 * from each evaluation of a version until its next one.
 */
export const EVALUATION_SEGMENTS_SQL = `evaluations AS (
  SELECT model_id, model_version, "timestamp" AS ts, event_id,
    list_filter(
      coalesce(CAST(json_extract(evaluation_results, '$[*]') AS JSON[]), []::JSON[]),
      lambda r: json_extract_string(r, '$.passed') = 'false'
    ) AS failed_results,
    json_extract_string(details, '$.passed') = 'false' AS details_failed
  FROM ${LIFECYCLE}
  WHERE event_type = 'evaluation_completed' AND "timestamp" IS NOT NULL AND model_id IS NOT NULL AND model_version IS NOT NULL
),
evaluation_segments AS (
  SELECT model_id, model_version, ts AS from_ts, coalesce(lead(ts) OVER (PARTITION BY model_id, model_version ORDER BY ts, event_id), 'infinity'::TIMESTAMPTZ) AS to_ts,
    NOT (len(failed_results) > 0 OR coalesce(details_failed, false)) AS passed,
    event_id,
    list_transform(failed_results, lambda r: coalesce(json_extract_string(r, '$.metric'), '?')) AS failed_metrics
  FROM evaluations
)`;

/**
 * The state of decision `d`'s version at its time: a LEFT JOIN of version_segments onto a relation
 * `d(model_id, model_version, timestamp)`; use with `versionStateSql('d', 'vs')`.
 */
export function versionSegmentJoinSql(d: string, vs: string): string {
  return `LEFT JOIN version_segments ${vs} ON ${vs}.model_id = ${d}.model_id AND ${vs}.model_version = ${d}.model_version
    AND ${d}."timestamp" >= ${vs}.from_ts AND ${d}."timestamp" < ${vs}.to_ts`;
}

/** The VersionState of `d` given the joined segment `vs` (see versionSegmentJoinSql). */
export function versionStateSql(d: string, vs: string): string {
  return `CASE
    WHEN ${d}.model_id IS NULL OR ${d}.model_version IS NULL OR ${d}."timestamp" IS NULL THEN 'unknown'
    WHEN ${vs}.state IS NOT NULL THEN ${vs}.state
    WHEN ${d}.model_id IN (SELECT model_id FROM deployed_models) THEN 'never-deployed'
    WHEN ${d}.model_id IN (SELECT model_id FROM lifecycle_models) THEN 'unknown'
    ELSE 'no-lifecycle' END`;
}

export function evaluationSegmentJoinSql(d: string, es: string): string {
  return `LEFT JOIN evaluation_segments ${es} ON ${es}.model_id = ${d}.model_id AND ${es}.model_version = ${d}.model_version
    AND ${d}."timestamp" >= ${es}.from_ts AND ${d}."timestamp" < ${es}.to_ts`;
}

/** Derived tables kept with the lookups (lookups.ts): the segments above and the models with a lifecycle. */
export const KEPT_VERSION_SEGMENTS = 'lookup_version_segments';
export const KEPT_EVALUATION_SEGMENTS = 'lookup_evaluation_segments';
export const KEPT_LIFECYCLE_MODELS = 'lookup_lifecycle_models';

/** The kept segment tables and how each is made from the lifecycle events. */
export function keptSegmentTables(): { name: string; sql: string }[] {
  return [
    {
      name: KEPT_VERSION_SEGMENTS,
      sql: `WITH ${VERSION_SEGMENTS_SQL} SELECT model_id, model_version, from_ts, to_ts, state, event_id FROM version_segments`,
    },
    {
      name: KEPT_EVALUATION_SEGMENTS,
      sql: `WITH ${EVALUATION_SEGMENTS_SQL} SELECT model_id, model_version, from_ts, to_ts, passed, event_id, failed_metrics FROM evaluation_segments`,
    },
    {
      name: KEPT_LIFECYCLE_MODELS,
      sql: `WITH ${VERSION_SEGMENTS_SQL} SELECT model_id, model_id IN (SELECT model_id FROM deployed_models) AS deployed FROM lifecycle_models`,
    },
  ];
}

/**
 * The same relations as VERSION_SEGMENTS_SQL and EVALUATION_SEGMENTS_SQL (version_segments,
 * lifecycle_models, deployed_models, evaluation_segments), read from the kept tables: a WITH list to
 * use when all three are fresh.
 */
export const KEPT_SEGMENTS_SQL = `version_segments AS (SELECT * FROM ${KEPT_VERSION_SEGMENTS}),
lifecycle_models AS (SELECT model_id FROM ${KEPT_LIFECYCLE_MODELS}),
deployed_models AS (SELECT model_id FROM ${KEPT_LIFECYCLE_MODELS} WHERE deployed),
evaluation_segments AS (SELECT * FROM ${KEPT_EVALUATION_SEGMENTS})`;
