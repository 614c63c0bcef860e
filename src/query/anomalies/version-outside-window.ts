/** Anomaly filter `version-outside-window`: decisions by a model version that was not deployed at the time. */
import { decisionWhere } from '../filters.ts';
import { OUTSIDE_WINDOW_STATES, VERSION_SEGMENTS_SQL } from '../model-state.ts';
import { DECISIONS, decisionHits } from './common.ts';
import type { AnomalyFilter } from './types.ts';

const STATE_TEXT: Record<string, string> = {
  'after-retirement': 'after the version was retired',
  'after-rollback': 'after the version was rolled back',
  'before-deployment': 'before the version was deployed',
  'never-deployed': 'by a version the lifecycle never deployed',
};

export const versionOutsideWindow: AnomalyFilter = {
  id: 'version-outside-window',
  title: 'Model version outside its deployed window',
  explanation:
    'Decisions made by a model version before its deployed event, after its rollback or retirement, or that the lifecycle never deployed, i.e. a model serving when governance says it should not (models with no lifecycle events in the case are not judged).',
  subject: 'decision',
  params: [],
  flagged(ctx, _p, scope) {
    const w = decisionWhere(scope, ctx.lookups);
    // Only periods outside a deployment are joined (most decisions match none and drop out at the
    // join), plus the versions a deploying model never deployed; both sides of the join are small
    // relations but the decisions.
    return {
      ...decisionHits(
        `${VERSION_SEGMENTS_SQL},
        outside AS (SELECT * FROM version_segments WHERE list_contains($states, state)),
        pairs AS (SELECT DISTINCT x.model_id, x.model_version FROM ${DECISIONS} x WHERE ${w.sql} AND x.model_id IN (SELECT model_id FROM deployed_models)),
        never AS (
          SELECT p.model_id, p.model_version FROM pairs p
          WHERE p.model_version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM version_events v WHERE v.model_id = p.model_id AND v.model_version = p.model_version)
        )`,
        `SELECT x.rowid AS rid, vs.state AS "versionState", vs.event_id AS "since"
        FROM ${DECISIONS} x JOIN outside vs ON vs.model_id = x.model_id AND vs.model_version = x.model_version
          AND x."timestamp" >= vs.from_ts AND x."timestamp" < vs.to_ts
        WHERE ${w.sql}
        UNION ALL
        SELECT x.rowid AS rid, 'never-deployed' AS "versionState", NULL AS "since"
        FROM ${DECISIONS} x JOIN never n ON n.model_id = x.model_id AND n.model_version = x.model_version
        WHERE ${w.sql} AND x."timestamp" IS NOT NULL`,
        ['versionState', 'since'],
      ),
      params: { ...w.params, states: OUTSIDE_WINDOW_STATES.filter((st) => st !== 'never-deployed') },
      summaryBy: ['modelId', 'modelVersion', 'versionState'],
    };
  },
  describe(item) {
    const since = item.since ? ` (lifecycle event ${String(item.since)})` : '';
    return `${String(item.modelId)} ${String(item.modelVersion)} decided ${STATE_TEXT[String(item.versionState)] ?? String(item.versionState)}${since}`;
  },
};
