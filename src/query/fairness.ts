/**
 * Query `fairness`: for one attribute of the decisions (a member of inputFeatures or contextData, an
 * unnamed member kept in `extra`, or a decision member such as riskTier), per group of its values:
 * n, the selection rate (share of decisions whose prediction is the positive one) and, when a positive
 * outcome is named and outcomes exist, TPR, FPR, FNR and precision; each with a Wilson 95% interval.
 * Each group is compared with a reference group (chosen, the largest, or the most favoured) by ratio
 * and difference; the four-fifths rule and the 0.8-1.25 band flag disparities. Groups smaller than the
 * minimum size are listed and flagged, never dropped (and never flagged for disparity: too few to
 * judge); decisions without the attribute are counted. The same by model version and by week, and the
 * human override rate per group.
 *
 * Predictions and outcomes are compared as text: `prediction` as the importer keeps it (a string as
 * itself, other JSON as its text), and an outcome is that decision's latest by observedAt.
 */
import { memberColumns } from '../case/evidence-schema.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { AuditWsError } from '../errors.ts';
import type { QueryContext } from './context.ts';
import { isoSql, numberParam, queryRows, ratio } from './db.ts';
import type { Row, SqlParams } from './db.ts';
import { decisionWhere, pickFilters } from './filters.ts';
import { DECISION_FACTS, FACT_MODELS, FACT_VALUES, LATEST_OUTCOME_SQL, finalDecisionSql, weekSql } from './facts.ts';
import type { DecisionFilters } from './filters.ts';
import type { IntegritySummary } from './integrity.ts';
import { disjoint, wilson } from './stats.ts';
import { ATTRIBUTE_ROOTS, cachedAttribute } from './attributes.ts';

export type ReferenceRule = 'largest' | 'most-favoured';

export interface FairnessParams extends DecisionFilters {
  /** `inputFeatures.<path>`, `contextData.<path>`, `extra.<path>` (dots between nested members), or a decision member, e.g. `riskTier`. */
  attribute: string;
  /** The favourable prediction, e.g. "approve". */
  positivePrediction: string;
  /** The outcome that means the favourable truth, e.g. "repaid"; enables TPR, FPR, FNR and precision. */
  positiveOutcome?: string;
  /** A group value to compare against; when absent, `referenceRule` picks one. */
  reference?: string;
  /** How to pick the reference when none is given (default most-favoured: the highest selection rate, as the four-fifths rule does). */
  referenceRule?: ReferenceRule;
  /** Groups with fewer decisions are flagged `below-min-size` and not judged (default 30). */
  minGroupSize?: number;
  /** `model` (default): the prediction as the model made it; `final`: the human's decision where a human overrode it. */
  basis?: 'model' | 'final';
}

export const FAIRNESS_DEFAULTS = {
  minGroupSize: 30,
  referenceRule: 'most-favoured' as ReferenceRule,
  basis: 'model' as const,
} as const;
export const FOUR_FIFTHS = 0.8;
export const BAND = [0.8, 1.25] as const;

export type Interval = [number, number] | null;

export type FairnessFlag = 'reference' | 'below-min-size' | 'fails-four-fifths' | 'outside-0.8-1.25';

export interface GroupStats {
  group: string;
  n: number;
  selected: number;
  selectionRate: number | null;
  /** With outcomes (positiveOutcome given): decisions that have an outcome, and the confusion counts. */
  withOutcome: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  tpr: number | null;
  fpr: number | null;
  fnr: number | null;
  precision: number | null;
  /** selectionRate / the reference group's (null when that is 0 or there is no reference). */
  disparateImpact: number | null;
  vsReference: {
    selectionRateDiff: number | null;
    tprRatio: number | null;
    tprDiff: number | null;
    fprRatio: number | null;
    fprDiff: number | null;
    fnrRatio: number | null;
    fnrDiff: number | null;
    precisionRatio: number | null;
    precisionDiff: number | null;
  };
  ci: { selectionRate: Interval; tpr: Interval; fpr: Interval; fnr: Interval; precision: Interval };
  flags: FairnessFlag[];
}

export interface FairnessSlice {
  reference: string | null;
  referenceRule: ReferenceRule | 'chosen';
  groups: GroupStats[];
  /** Decisions in the slice without the attribute (absent or null). */
  missing: number;
  excluded: { belowMinSize: { groups: number; decisions: number }; noPrediction: number };
}

export interface OverrideByGroup {
  group: string;
  n: number;
  reviewed: number;
  overridden: number;
  reviewRate: number | null;
  /** Overrides per reviewed decision. */
  overrideRate: number | null;
  ci: { reviewRate: Interval; overrideRate: Interval };
  /** overrideRate / the reference group's. */
  overrideRateRatio: number | null;
  /** `override-rate-differs`: the group's and the reference's 95% intervals do not overlap (both large enough). */
  flags: string[];
}

export interface FairnessResult extends FairnessSlice {
  attribute: string;
  positivePrediction: string;
  positiveOutcome: string | null;
  minGroupSize: number;
  basis: 'model' | 'final';
  byModelVersion: ({ modelId: string | null; modelVersion: string | null } & FairnessSlice)[];
  byWeek: ({ week: string } & FairnessSlice)[];
  overrideByGroup: OverrideByGroup[];
  /** The decisions (and outcomes) the figures rest on and how they fared in verification. */
  integrity: IntegritySummary;
  notices: string[];
  ms: number;
}

const D = KIND_TABLES.decision;
const O = KIND_TABLES.outcome;

const JSON_ROOTS: Record<string, string> = {
  inputFeatures: 'input_features',
  contextData: 'context_data',
  extra: 'extra',
};

/**
 * An attribute as SQL: `raw`, its value per decision `x` (for JSON members the JSON text of the value,
 * one parse per row; the path is a bound parameter, never spliced into the SQL), and `group(raw)`, the
 * group name from it, applied after grouping so that strings are unquoted once per group, not per row.
 * A JSON object, array or null is not a group value (missing); other scalars become their text
 * ("true", "42"), so a string "42" and a number 42 are the same group.
 */
export interface AttributeSql {
  raw: string;
  group: (raw: string) => string;
  params: SqlParams;
  /** FROM-clause addition (the member table read beside the decisions), and the rowid it must agree on. */
  positional?: { join: string; rid: string };
}

/** attributeSql, reading a JSON member from its member table (attributes.ts) when one is fresh. */
export async function resolveAttribute(ctx: QueryContext, attribute: string): Promise<AttributeSql> {
  const plain = attributeSql(attribute);
  const [root, ...rest] = attribute.split('.');
  if (rest.length !== 1 || !Object.hasOwn(ATTRIBUTE_ROOTS, root)) return plain;
  const cached = await cachedAttribute(ctx.duck, ctx.lookups, root, rest[0]);
  if (!cached) return plain;
  return {
    raw: `a.${cached.column}`,
    group: plain.group,
    params: {},
    positional: { join: `POSITIONAL JOIN ${cached.table} a`, rid: 'a.rid' },
  };
}

export function attributeSql(attribute: string): AttributeSql {
  const parts = attribute.split('.');
  const root = parts[0];
  if (Object.hasOwn(JSON_ROOTS, root)) {
    if (parts.length < 2 || parts.slice(1).some((p) => p === '')) {
      throw new AuditWsError('BAD_USAGE', `attribute "${attribute}": name a member, e.g. ${root}.group`);
    }
    const path = `$${parts
      .slice(1)
      .map((p) => `."${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
      .join('')}`;
    return {
      raw: `json_extract(x.${JSON_ROOTS[root]}, $attr_path)::VARCHAR`,
      group: (raw) =>
        `CASE WHEN left(${raw}, 1) = '"' THEN json_extract_string(${raw}, '$') WHEN left(${raw}, 1) IN ('{', '[') OR ${raw} = 'null' THEN NULL ELSE ${raw} END`,
      params: { attr_path: path },
    };
  }
  const member = memberColumns('decision').find(
    (m) => m.member === attribute && (m.type === 'string' || m.type === 'any' || m.type === 'boolean'),
  );
  if (!member) {
    throw new AuditWsError(
      'BAD_USAGE',
      `attribute "${attribute}" is not inputFeatures.<name>, contextData.<name>, extra.<name> or a text or true/false member of a decision (e.g. riskTier, environment)`,
    );
  }
  return { raw: `x.${member.column}::VARCHAR`, group: (raw) => raw, params: {} };
}

interface Counts {
  n: number;
  selected: number;
  withOutcome: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  reviewed: number;
  overridden: number;
  all: number;
}

function countsOf(r: Row): Counts {
  const c = (k: string) => Number(r[k] ?? 0);
  return {
    all: c('n_all'),
    n: c('n'),
    selected: c('selected'),
    withOutcome: c('with_outcome'),
    tp: c('tp'),
    fp: c('fp'),
    fn: c('fn'),
    tn: c('tn'),
    reviewed: c('reviewed'),
    overridden: c('overridden'),
  };
}

const r2 = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);
const d2 = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

const COUNT_COLUMNS = [
  'n_all',
  'n',
  'selected',
  'with_outcome',
  'tp',
  'fp',
  'fn',
  'tn',
  'reviewed',
  'overridden',
  'misaligned',
] as const;

/**
 * The counts per (group, model version, week) summed per group (g_model = g_week = 1), per group and
 * model version (g_model = 0) and per group and week (g_week = 0), as GROUPING SETS would give them:
 * the input is a few hundred rows, which DuckDB's grouping sets take tens of milliseconds to set up for.
 */
function rollUp(fine: Row[]): Row[] {
  const out = new Map<string, Row>();
  const add = (key: unknown[], template: Row, r: Row) => {
    const k = JSON.stringify(key);
    let into = out.get(k);
    if (!into) {
      into = { ...template };
      for (const c of COUNT_COLUMNS) into[c] = 0;
      out.set(k, into);
    }
    for (const c of COUNT_COLUMNS) into[c] = (into[c] as number) + Number(r[c] ?? 0);
  };
  for (const r of fine) {
    add([1, r.grp], { grp: r.grp, model_id: null, model_version: null, week: null, g_model: 1, g_week: 1 }, r);
    add(
      [2, r.grp, r.model_id, r.model_version],
      { grp: r.grp, model_id: r.model_id, model_version: r.model_version, week: null, g_model: 0, g_week: 1 },
      r,
    );
    add(
      [3, r.grp, r.week],
      { grp: r.grp, model_id: null, model_version: null, week: r.week, g_model: 1, g_week: 0 },
      r,
    );
  }
  return [...out.values()];
}

/** One slice (all decisions, a model version, a week): group statistics against its reference. */
export function judgeSlice(
  rows: { group: string | null; counts: Counts }[],
  opts: { reference?: string; referenceRule: ReferenceRule; minGroupSize: number; outcomes: boolean },
  notices?: string[],
  where = '',
): FairnessSlice {
  let missing = 0;
  let noPrediction = 0;
  const groups: GroupStats[] = [];
  for (const { group, counts: c } of rows) {
    if (group === null) {
      missing += c.all;
      continue;
    }
    noPrediction += c.all - c.n;
    if (c.n === 0) continue;
    const tpr = opts.outcomes ? ratio(c.tp, c.tp + c.fn) : null;
    const fpr = opts.outcomes ? ratio(c.fp, c.fp + c.tn) : null;
    const fnr = opts.outcomes ? ratio(c.fn, c.tp + c.fn) : null;
    const precision = opts.outcomes ? ratio(c.tp, c.tp + c.fp) : null;
    groups.push({
      group,
      n: c.n,
      selected: c.selected,
      selectionRate: ratio(c.selected, c.n),
      withOutcome: c.withOutcome,
      tp: c.tp,
      fp: c.fp,
      fn: c.fn,
      tn: c.tn,
      tpr,
      fpr,
      fnr,
      precision,
      disparateImpact: null,
      vsReference: {
        selectionRateDiff: null,
        tprRatio: null,
        tprDiff: null,
        fprRatio: null,
        fprDiff: null,
        fnrRatio: null,
        fnrDiff: null,
        precisionRatio: null,
        precisionDiff: null,
      },
      ci: {
        selectionRate: wilson(c.selected, c.n),
        tpr: opts.outcomes ? wilson(c.tp, c.tp + c.fn) : null,
        fpr: opts.outcomes ? wilson(c.fp, c.fp + c.tn) : null,
        fnr: opts.outcomes ? wilson(c.fn, c.tp + c.fn) : null,
        precision: opts.outcomes ? wilson(c.tp, c.tp + c.fp) : null,
      },
      flags: c.n < opts.minGroupSize ? ['below-min-size'] : [],
    });
  }
  groups.sort((a, b) => b.n - a.n || a.group.localeCompare(b.group));

  const eligible = groups.filter((g) => g.n >= opts.minGroupSize);
  const pool = eligible.length > 0 ? eligible : groups;
  let ref: GroupStats | undefined;
  let rule: FairnessSlice['referenceRule'] = opts.referenceRule;
  if (opts.reference !== undefined) {
    rule = 'chosen';
    ref = groups.find((g) => g.group === opts.reference);
    if (!ref) notices?.push(`reference group "${opts.reference}" has no decisions${where}; no ratios there`);
  } else if (opts.referenceRule === 'largest') ref = pool[0];
  else
    ref = [...pool].sort(
      (a, b) => (b.selectionRate ?? -1) - (a.selectionRate ?? -1) || b.n - a.n || a.group.localeCompare(b.group),
    )[0];

  for (const g of groups) {
    if (ref) {
      g.disparateImpact = r2(g.selectionRate, ref.selectionRate);
      g.vsReference = {
        selectionRateDiff: d2(g.selectionRate, ref.selectionRate),
        tprRatio: r2(g.tpr, ref.tpr),
        tprDiff: d2(g.tpr, ref.tpr),
        fprRatio: r2(g.fpr, ref.fpr),
        fprDiff: d2(g.fpr, ref.fpr),
        fnrRatio: r2(g.fnr, ref.fnr),
        fnrDiff: d2(g.fnr, ref.fnr),
        precisionRatio: r2(g.precision, ref.precision),
        precisionDiff: d2(g.precision, ref.precision),
      };
    }
    if (g === ref) g.flags.unshift('reference');
    if (g.n < opts.minGroupSize || g === ref || g.disparateImpact === null) continue;
    if (g.disparateImpact < FOUR_FIFTHS) g.flags.push('fails-four-fifths');
    if (g.disparateImpact < BAND[0] || g.disparateImpact > BAND[1]) g.flags.push('outside-0.8-1.25');
  }
  const small = groups.filter((g) => g.n < opts.minGroupSize);
  return {
    reference: ref?.group ?? null,
    referenceRule: rule,
    groups,
    missing,
    excluded: { belowMinSize: { groups: small.length, decisions: small.reduce((a, g) => a + g.n, 0) }, noPrediction },
  };
}

export async function fairness(ctx: QueryContext, params: FairnessParams): Promise<FairnessResult> {
  const started = performance.now();
  if (typeof params.attribute !== 'string' || params.attribute === '')
    throw new AuditWsError('BAD_USAGE', 'fairness needs an attribute, e.g. inputFeatures.group');
  if (typeof params.positivePrediction !== 'string' || params.positivePrediction === '') {
    throw new AuditWsError('BAD_USAGE', 'fairness needs the positive (favourable) prediction, e.g. approve');
  }
  const minGroupSize = numberParam(params.minGroupSize ?? FAIRNESS_DEFAULTS.minGroupSize, 'minGroupSize', 1, 1e9, true);
  const referenceRule = params.referenceRule ?? FAIRNESS_DEFAULTS.referenceRule;
  if (referenceRule !== 'largest' && referenceRule !== 'most-favoured') {
    throw new AuditWsError(
      'BAD_USAGE',
      `referenceRule must be largest or most-favoured, not "${String(referenceRule)}"`,
    );
  }
  const basis = params.basis ?? FAIRNESS_DEFAULTS.basis;
  if (basis !== 'model' && basis !== 'final')
    throw new AuditWsError('BAD_USAGE', `basis must be model or final, not "${String(basis)}"`);
  const outcomes = params.positiveOutcome !== undefined && params.positiveOutcome !== '';
  const scope = pickFilters(params);
  const w = decisionWhere(scope, ctx.lookups);
  const notices: string[] = [];
  // the per-decision facts kept with the lookup tables (facts.ts), read row for row beside the decisions
  const factsKept = [DECISION_FACTS, FACT_MODELS, FACT_VALUES].every((t) => ctx.lookups.has(t));
  // the codes of the positive prediction and outcome, read first and bound (as a scalar subquery in the
  // pass, DuckDB joins the one-row answer to every decision); -1 when no decision has the value
  const codes = new Map<string, number>();
  if (factsKept) {
    const wanted = [params.positivePrediction, ...(outcomes ? [params.positiveOutcome!] : [])];
    for (const r of await queryRows(
      ctx.duck,
      `SELECT value, code FROM ${FACT_VALUES} WHERE list_contains($wanted, value)`,
      { wanted },
      { prepared: true },
    ))
      codes.set(String(r.value), Number(r.code));
  }
  const code = (value: string) => String(Math.trunc(codes.get(value) ?? -1));

  /**
   * Per decision: the group value, model version, week and its seven yes/no facts packed as bits, so
   * the one pass over the decisions counts rows per (value, version, week, bits) and nothing else; each
   * figure is then a sum over that small result, and so are the overall, per-version and per-week views.
   */
  const base = (attr: AttributeSql, kept: boolean): string => {
    const misaligned = [
      attr.positional ? `${attr.positional.rid} IS DISTINCT FROM x.rowid` : 'false',
      kept ? 'f.rid IS DISTINCT FROM x.rowid' : 'false',
    ].join(' OR ');
    const facts = kept
      ? {
          model: 'f.mv',
          week: 'f.wk',
          hasPred: `f.${basis === 'final' ? 'fin' : 'pred'} IS NOT NULL`,
          sel: `f.${basis === 'final' ? 'fin' : 'pred'} = ${code(params.positivePrediction)}`,
          hasOutcome: outcomes ? 'f.oc IS NOT NULL' : 'false',
          actual: outcomes ? `f.oc = ${code(params.positiveOutcome!)}` : 'NULL::BOOLEAN',
          reviewed: 'f.rv',
          overridden: 'f.ov',
          from: `POSITIONAL JOIN ${DECISION_FACTS} f`,
        }
      : {
          model: 'x.model_id, x.model_version',
          week: weekSql('x'),
          hasPred: `${basis === 'final' ? finalDecisionSql('x') : 'x.prediction'} IS NOT NULL`,
          sel: `${basis === 'final' ? finalDecisionSql('x') : 'x.prediction'} = $positive`,
          hasOutcome: outcomes ? 'o.outcome IS NOT NULL' : 'false',
          actual: outcomes ? `o.outcome = $positiveOutcome` : 'NULL::BOOLEAN',
          reviewed: 'coalesce(x.human_reviewed, false)',
          overridden: 'coalesce(x.human_override, false)',
          from: outcomes ? `LEFT JOIN (${LATEST_OUTCOME_SQL}) o ON o.decision_id = x.decision_id` : '',
        };
    const bits = [
      facts.hasPred,
      `coalesce(${facts.sel}, false)`,
      facts.hasOutcome,
      `coalesce(${facts.actual}, false)`,
      facts.reviewed,
      facts.overridden,
      misaligned,
    ]
      // a sum of CASEs: several times cheaper per row here than casts and shifts
      .map((b, i) => `CASE WHEN ${b} THEN ${1 << i} ELSE 0 END`)
      .join(' + ');
    const packed = `SELECT attr_raw, ${kept ? 'mv' : 'model_id, model_version'}, wk, bits, count(*) AS c FROM (
        SELECT ${attr.raw} AS attr_raw, ${facts.model}, ${facts.week} AS wk, (${bits})::UTINYINT AS bits
        FROM ${D} x ${attr.positional?.join ?? ''} ${facts.from}
        WHERE ${w.sql}
      ) GROUP BY ALL`;
    return kept
      ? `SELECT p.attr_raw, m.model_id, m.model_version, p.wk, p.bits, p.c FROM (${packed}) p LEFT JOIN ${FACT_MODELS} m ON m.code = p.mv`
      : packed;
  };
  const has = (bit: number) => `bits & ${1 << bit} <> 0`;
  const [HAS_PRED, SEL, HAS_OUTCOME, ACTUAL, REVIEWED, OVERRIDDEN, MISALIGNED] = [0, 1, 2, 3, 4, 5, 6].map(has);
  const countsSql = (attr: AttributeSql, kept: boolean) =>
    `WITH fine AS (
      SELECT attr_raw, model_id, model_version, wk,
        sum(c) AS n_all,
        coalesce(sum(c) FILTER (WHERE ${HAS_PRED}), 0) AS n,
        coalesce(sum(c) FILTER (WHERE ${SEL}), 0) AS selected,
        coalesce(sum(c) FILTER (WHERE ${HAS_PRED} AND ${HAS_OUTCOME}), 0) AS with_outcome,
        coalesce(sum(c) FILTER (WHERE ${SEL} AND ${HAS_OUTCOME} AND ${ACTUAL}), 0) AS tp,
        coalesce(sum(c) FILTER (WHERE ${SEL} AND ${HAS_OUTCOME} AND NOT (${ACTUAL})), 0) AS fp,
        coalesce(sum(c) FILTER (WHERE ${HAS_PRED} AND NOT (${SEL}) AND ${HAS_OUTCOME} AND ${ACTUAL}), 0) AS fn,
        coalesce(sum(c) FILTER (WHERE ${HAS_PRED} AND NOT (${SEL}) AND ${HAS_OUTCOME} AND NOT (${ACTUAL})), 0) AS tn,
        coalesce(sum(c) FILTER (WHERE ${REVIEWED}), 0) AS reviewed,
        coalesce(sum(c) FILTER (WHERE ${OVERRIDDEN}), 0) AS overridden,
        coalesce(sum(c) FILTER (WHERE ${MISALIGNED}), 0) AS misaligned
      FROM (${base(attr, kept)}) GROUP BY attr_raw, model_id, model_version, wk
    )
    SELECT ${attr.group('attr_raw')} AS grp, model_id, model_version,
      ${isoSql('make_timestamp((wk * 7 - 3) * 86400000000)')} AS week, ${COUNT_COLUMNS.join(', ')}
    FROM fine`;
  const paramsOf = (attr: AttributeSql, kept: boolean): SqlParams => ({
    ...w.params,
    ...attr.params,
    // the kept pass compares codes (written into the SQL as numbers), not the texts
    ...(kept ? {} : { positive: params.positivePrediction }),
    ...(outcomes && !kept ? { positiveOutcome: params.positiveOutcome! } : {}),
  });

  let attr = await resolveAttribute(ctx, params.attribute);
  let fine = await queryRows(ctx.duck, countsSql(attr, factsKept), paramsOf(attr, factsKept));
  if ((attr.positional || factsKept) && fine.some((r) => Number(r.misaligned) > 0)) {
    // a kept table no longer follows the decisions row for row: read the decisions themselves
    notices.push(
      `the values kept for ${params.attribute}${factsKept ? ' and the decision facts' : ''} did not line up with the decisions; they were read from the decisions instead (rebuild the lookup tables)`,
    );
    attr = attributeSql(params.attribute);
    fine = await queryRows(ctx.duck, countsSql(attr, false), paramsOf(attr, false));
  }
  const rows = rollUp(fine);

  const opts = { reference: params.reference, referenceRule, minGroupSize, outcomes };
  // two JSON spellings of one value (the string "1" and the number 1) are one group
  const asInput = (list: Row[]) => {
    const merged = new Map<string | null, Counts>();
    for (const r of list) {
      const group = r.grp === null ? null : String(r.grp);
      const c = countsOf(r);
      const into = merged.get(group);
      if (into) for (const k of Object.keys(c) as (keyof Counts)[]) into[k] += c[k];
      else merged.set(group, c);
    }
    return [...merged.entries()].map(([group, counts]) => ({ group, counts }));
  };
  // GROUPING() of two columns is a bit mask: 0 when both are grouped, 3 when neither
  const overall = rows.filter((r) => r.g_model !== 0 && r.g_week !== 0);
  const main = judgeSlice(asInput(overall), opts, notices);

  const versionKey = (r: Row) => JSON.stringify([r.model_id, r.model_version]);
  const versions = new Map<string, Row[]>();
  for (const r of rows.filter((x) => x.g_model === 0))
    versions.set(versionKey(r), [...(versions.get(versionKey(r)) ?? []), r]);
  const byModelVersion = [...versions.values()]
    .map((list) => ({
      modelId: list[0].model_id === null ? null : String(list[0].model_id),
      modelVersion: list[0].model_version === null ? null : String(list[0].model_version),
      ...judgeSlice(asInput(list), opts, notices, ` in ${String(list[0].model_id)} ${String(list[0].model_version)}`),
    }))
    .sort(
      (a, b) =>
        String(a.modelId).localeCompare(String(b.modelId)) ||
        String(a.modelVersion).localeCompare(String(b.modelVersion)),
    );

  const weeks = new Map<string, Row[]>();
  for (const r of rows.filter((x) => x.g_week === 0))
    weeks.set(String(r.week), [...(weeks.get(String(r.week)) ?? []), r]);
  const byWeek = [...weeks.entries()]
    .filter(([week]) => week !== 'null')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([week, list]) => ({ week, ...judgeSlice(asInput(list), opts, notices, ` in the week of ${week}`) }));

  const overrideByGroup = overridesByGroup(asInput(overall), main.reference, minGroupSize);

  const integrity = await ctx.integrity.summarize(
    ctx.duck,
    `SELECT x.stream, x.seq, x.source_file, x.line, x."row", x.import_id FROM ${D} x WHERE ${w.sql}${
      outcomes
        ? ` UNION ALL SELECT o.stream, o.seq, o.source_file, o.line, o."row", o.import_id FROM ${O} o WHERE o.decision_id IN (SELECT x.decision_id FROM ${D} x WHERE ${w.sql})`
        : ''
    }`,
    w.params,
    overall.reduce((a, r) => a + Number(r.n_all) + (outcomes ? Number(r.with_outcome) : 0), 0),
  );

  return {
    attribute: params.attribute,
    positivePrediction: params.positivePrediction,
    positiveOutcome: outcomes ? params.positiveOutcome! : null,
    minGroupSize,
    basis,
    ...main,
    byModelVersion,
    byWeek,
    overrideByGroup,
    integrity,
    notices: [...new Set(notices)],
    ms: Math.round(performance.now() - started),
  };
}

/** Review and override rates per group; a group is flagged when its override-rate interval and the reference's do not overlap. */
function overridesByGroup(
  rows: { group: string | null; counts: Counts }[],
  reference: string | null,
  minGroupSize: number,
): OverrideByGroup[] {
  const list = rows
    .filter((r): r is { group: string; counts: Counts } => r.group !== null && r.counts.all > 0)
    .map(({ group, counts: c }) => ({
      group,
      n: c.all,
      reviewed: c.reviewed,
      overridden: c.overridden,
      reviewRate: ratio(c.reviewed, c.all),
      overrideRate: ratio(c.overridden, c.reviewed),
      ci: { reviewRate: wilson(c.reviewed, c.all), overrideRate: wilson(c.overridden, c.reviewed) },
      overrideRateRatio: null as number | null,
      flags: [] as string[],
    }))
    .sort((a, b) => b.n - a.n || a.group.localeCompare(b.group));
  const ref = list.find((g) => g.group === reference);
  for (const g of list) {
    if (!ref) continue;
    g.overrideRateRatio = r2(g.overrideRate, ref.overrideRate);
    if (
      g !== ref &&
      g.reviewed >= minGroupSize &&
      ref.reviewed >= minGroupSize &&
      disjoint(g.ci.overrideRate, ref.ci.overrideRate)
    ) {
      g.flags.push('override-rate-differs');
    }
  }
  return list;
}
