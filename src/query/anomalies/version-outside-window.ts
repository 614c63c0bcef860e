/** Anomaly filter `version-outside-window`: decisions by a model version that was not deployed at the time. */
import { decisionWhere } from '../filters.ts';
import { OUTSIDE_WINDOW_STATES, VERSION_SEGMENTS_SQL, versionSegmentJoinSql, versionStateSql } from '../model-state.ts';
import { DECISIONS, decisionItemSql } from './common.ts';
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
    return {
      sql: `WITH ${VERSION_SEGMENTS_SQL}
        SELECT * FROM (
          SELECT ${decisionItemSql('x')}, ${versionStateSql('x', 'vs')} AS "versionState", vs.event_id AS "since"
          FROM ${DECISIONS} x ${versionSegmentJoinSql('x', 'vs')}
          WHERE ${w.sql}
        ) WHERE list_contains($states, "versionState")`,
      params: { ...w.params, states: [...OUTSIDE_WINDOW_STATES] },
      summaryBy: ['modelId', 'modelVersion', 'versionState'],
    };
  },
  describe(item) {
    const since = item.since ? ` (lifecycle event ${String(item.since)})` : '';
    return `${String(item.modelId)} ${String(item.modelVersion)} decided ${STATE_TEXT[String(item.versionState)] ?? String(item.versionState)}${since}`;
  },
};
