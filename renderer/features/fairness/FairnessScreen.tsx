import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { FairnessOptions, FairnessResult, GroupStats, ParamsOf } from '../../../src/contract/types.ts';
import { invoke } from '../../api.ts';
import { LineChart, RatioChart } from '../../components/charts.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { useRequest } from '../../components/useRequest.ts';
import { Verdict } from '../../components/Verdict.tsx';
import { formatCount, formatDay, formatPercent, formatRatio } from '../../format.ts';
import { shownError } from '../../store/errors.ts';
import type { ShownError } from '../../store/types.ts';

const FLAG_TEXT: Record<string, string> = {
  reference: 'reference group',
  'below-min-size': 'too few decisions to judge',
  'fails-four-fifths': 'below four-fifths of the reference',
  'outside-0.8-1.25': 'outside the 0.8–1.25 band',
};

/** Flagged by the four-fifths rule or the 0.8–1.25 band (not merely small or the reference). */
function outsideBand(g: Pick<GroupStats, 'flags'>): boolean {
  return g.flags.some((f) => f === 'fails-four-fifths' || f === 'outside-0.8-1.25');
}

function interval(ci: [number, number] | null): string {
  return ci ? `${formatPercent(ci[0], 1)}–${formatPercent(ci[1], 1)}` : '';
}

/** Attribute names that usually mark a group the law protects, offered first. */
const PROTECTED = /^(group|gender|sex|race|ethnicity|age_?band|ageGroup|age_group|nationality|religion|disability)$/i;
/** Predictions that usually mean a favourable outcome for the person, in order of preference. */
const FAVOURABLE = [/^approv/i, /^accept/i, /^grant/i, /^allow/i, /^yes$/i];

interface Choice {
  modelId: string;
  attribute: string;
  positivePrediction: string;
  positiveOutcome: string;
  reference: string;
  minGroupSize: string;
  basis: 'model' | 'final';
}

function paramsOf(slug: string, c: Choice): ParamsOf<'query.fairness'> {
  const min = Number(c.minGroupSize);
  return {
    case: slug,
    attribute: c.attribute,
    positivePrediction: c.positivePrediction,
    ...(c.modelId ? { modelId: c.modelId } : {}),
    ...(c.positiveOutcome ? { positiveOutcome: c.positiveOutcome } : {}),
    ...(c.reference ? { reference: c.reference } : {}),
    ...(Number.isInteger(min) && min > 0 ? { minGroupSize: min } : {}),
    basis: c.basis,
  };
}

/** The one model that makes this prediction, if only one does (fairness of a mix of models rarely means much). */
function modelFor(o: FairnessOptions, prediction: string): string {
  const makers = o.models.filter((m) => m.predictions.includes(prediction));
  return makers.length === 1 ? makers[0].modelId : '';
}

/** The options of a select of values, each with how many decisions have it. */
function CountedOptions({ values }: { values: { value: string; count: number }[] }) {
  return values.map((p) => (
    <option key={p.value} value={p.value}>
      {p.value} ({formatCount(p.count)})
    </option>
  ));
}

/** Outcomes by group of one attribute, against a reference group, with intervals and flags; by version and over time. */
export function FairnessScreen({ slug }: { slug: string }) {
  const [options, setOptions] = useState<FairnessOptions | undefined>();
  const [choice, setChoice] = useState<Choice | undefined>();
  const [asked, setAsked] = useState<Choice | undefined>();
  const [optionsError, setError] = useState<ShownError | undefined>();

  useEffect(() => {
    let live = true;
    invoke('query.fairnessOptions', { case: slug }).then(
      (o) => {
        if (!live) return;
        setOptions(o);
        // A sensible first question: the first input feature with few groups, and the most frequent prediction.
        const attr =
          o.attributes.find((a) => PROTECTED.test(a.name.split('.').pop() ?? '')) ??
          o.attributes.find((a) => a.name.startsWith('inputFeatures.') && a.distinct <= 10) ??
          o.attributes[0];
        const positive =
          FAVOURABLE.map((re) => o.predictions.find((p) => re.test(p.value))).find(Boolean) ?? o.predictions[0];
        const first: Choice = {
          modelId: modelFor(o, positive?.value ?? ''),
          attribute: attr?.name ?? '',
          positivePrediction: positive?.value ?? '',
          positiveOutcome: '',
          reference: '',
          minGroupSize: '30',
          basis: 'model',
        };
        setChoice(first);
        // The first question runs as soon as the choices are known.
        if (first.attribute && first.positivePrediction) setAsked(first);
      },
      (err: unknown) => live && setError(shownError(err)),
    );
    return () => {
      live = false;
    };
  }, [slug]);

  // What was last asked: the answer on screen belongs to it, whatever the form says meanwhile.
  const request = useRequest(asked ? JSON.stringify({ slug, asked }) : undefined, () =>
    invoke('query.fairness', paramsOf(slug, asked as Choice)),
  );
  const result = request.data;
  const loading = request.loading;
  const lastModel = asked?.modelId ?? '';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (choice?.attribute && choice.positivePrediction) setAsked({ ...choice });
  };
  const set = (change: Partial<Choice>) => setChoice((c) => (c ? { ...c, ...change } : c));
  const groupsOfAttr = useMemo(() => (result ? result.groups.map((g) => g.group) : []), [result]);

  return (
    <div className="screen" data-testid="fairness-screen">
      <header className="screen-head">
        <h2>Fairness</h2>
        <p className="muted">
          Compares how often each group of an attribute got the favourable prediction (selection rate), and, where
          outcomes were observed, the error rates. Ratios to the reference group outside 0.8–1.25 are flagged (the
          four-fifths rule); 95% Wilson intervals show how sure each rate is.
        </p>
      </header>
      {choice && options && (
        <form className="card form-grid" onSubmit={submit} aria-label="Fairness question">
          <label htmlFor="fair-attribute">Attribute (the groups)</label>
          <select
            id="fair-attribute"
            value={choice.attribute}
            onChange={(e) => set({ attribute: e.target.value, reference: '' })}
          >
            {options.attributes.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name} ({a.distinct} values: {a.examples.join(', ')}
                {a.distinct > a.examples.length ? ', …' : ''})
              </option>
            ))}
          </select>
          <label htmlFor="fair-positive">Favourable prediction</label>
          <select
            id="fair-positive"
            value={choice.positivePrediction}
            onChange={(e) => set({ positivePrediction: e.target.value, modelId: modelFor(options, e.target.value) })}
          >
            <CountedOptions values={options.predictions} />
          </select>
          <label htmlFor="fair-model">Decisions of</label>
          <select
            id="fair-model"
            value={choice.modelId}
            onChange={(e) => set({ modelId: e.target.value, reference: '' })}
          >
            <option value="">every model</option>
            {options.models.map((m) => (
              <option key={m.modelId} value={m.modelId}>
                {m.modelId} ({formatCount(m.decisions)} decisions)
              </option>
            ))}
          </select>
          <label htmlFor="fair-outcome">Favourable outcome (enables error rates)</label>
          <select
            id="fair-outcome"
            value={choice.positiveOutcome}
            onChange={(e) => set({ positiveOutcome: e.target.value })}
          >
            <option value="">none: compare selection rates only</option>
            <CountedOptions values={options.outcomes} />
          </select>
          <label htmlFor="fair-reference">Reference group</label>
          <select id="fair-reference" value={choice.reference} onChange={(e) => set({ reference: e.target.value })}>
            <option value="">the most favoured group</option>
            {groupsOfAttr.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
          <label htmlFor="fair-min">Minimum group size</label>
          <input
            id="fair-min"
            size={5}
            value={choice.minGroupSize}
            onChange={(e) => set({ minGroupSize: e.target.value })}
          />
          <label htmlFor="fair-basis">Judge</label>
          <select
            id="fair-basis"
            value={choice.basis}
            onChange={(e) => set({ basis: e.target.value as 'model' | 'final' })}
          >
            <option value="model">the model’s prediction</option>
            <option value="final">the final decision (after human overrides)</option>
          </select>
          <div />
          <div className="row">
            <button type="submit" className="button primary" disabled={loading}>
              {loading ? 'Computing…' : 'Compare groups'}
            </button>
            <span className="muted small">{formatCount(options.decisions)} decisions in the case</span>
          </div>
        </form>
      )}
      {!options && !optionsError && <p role="status">Reading the attributes this case holds…</p>}
      {options && options.attributes.length === 0 && (
        <p className="notice">The decisions carry no attribute with a handful of values to group by.</p>
      )}
      <ErrorNote error={optionsError ?? request.error} />
      {result && <FairnessResultView result={result} choiceModel={lastModel} />}
    </div>
  );
}

function FairnessResultView({ result, choiceModel }: { result: FairnessResult; choiceModel: string }) {
  const outcomes = result.positiveOutcome !== null;
  const flagged = result.groups.filter(outsideBand);
  const groups = [...new Set(result.byWeek.flatMap((w) => w.groups.map((g) => g.group)))].sort();
  return (
    <>
      <section className="card" aria-labelledby="fair-result-heading" data-testid="fairness-result">
        <h3 id="fair-result-heading">
          {result.attribute}: favourable = “{result.positivePrediction}”{choiceModel ? ` (${choiceModel})` : ''}
          {outcomes ? `, outcome “${result.positiveOutcome}”` : ''}{' '}
          <Verdict value={result.integrity.status} title="integrity of the decisions these figures rest on" />
        </h3>
        <p>
          {flagged.length === 0 ? (
            <span className="present">
              No group falls outside the 0.8–1.25 band
              {result.reference ? ` against the reference “${result.reference}”` : ''}.
            </span>
          ) : (
            <strong className="error">
              {flagged.length} group(s) outside the 0.8–1.25 band against “{result.reference}”:{' '}
              {flagged.map((g) => g.group).join(', ')}.
            </strong>
          )}{' '}
          <span className="muted small">
            Reference: {result.reference ?? '–'} ({result.referenceRule}). {formatCount(result.missing)} decisions
            without this attribute; {formatCount(result.excluded.belowMinSize.groups)} group(s) with{' '}
            {formatCount(result.excluded.belowMinSize.decisions)} decisions below the minimum size of{' '}
            {result.minGroupSize} (flagged, not dropped).
          </span>
        </p>
        {result.notices.map((n) => (
          <p key={n} className="notice small">
            {n}
          </p>
        ))}
        {result.groups.length === 0 ? (
          <p className="notice">No decision in the case has both this attribute and a prediction to judge.</p>
        ) : (
          <>
            <GroupTable groups={result.groups} outcomes={outcomes} />
            <h4>Selection-rate ratio to the reference (dot), against the 0.8–1.25 band (shaded)</h4>
            <RatioChart
              title={`Selection-rate ratio to the reference group (${result.reference ?? 'none'}) against the 0.8–1.25 band`}
              points={result.groups.map((g) => ({
                label: g.group,
                value: g.disparateImpact,
                flagged: outsideBand(g),
                reference: g.flags.includes('reference'),
              }))}
            />
          </>
        )}
      </section>

      {result.byModelVersion.length > 0 && (
        <section className="card" aria-labelledby="fair-version-heading">
          <h3 id="fair-version-heading">By model version</h3>
          {result.byModelVersion.map((v) => (
            <div key={`${v.modelId}-${v.modelVersion}`} className="version-block">
              <h4>
                {v.modelId} {v.modelVersion} <span className="muted small">reference {v.reference ?? '–'}</span>
              </h4>
              {v.groups.length === 0 ? (
                <p className="muted small">No groups with the favourable prediction for this version.</p>
              ) : (
                <RatioChart
                  title={`${v.modelId} ${v.modelVersion}: selection-rate ratio per group`}
                  points={v.groups.map((g) => ({
                    label: `${g.group} (n=${g.n})`,
                    value: g.disparateImpact,
                    flagged: outsideBand(g),
                    reference: g.flags.includes('reference'),
                  }))}
                />
              )}
            </div>
          ))}
        </section>
      )}

      {result.byWeek.length > 1 && (
        <section className="card" aria-labelledby="fair-week-heading">
          <h3 id="fair-week-heading">Over time (by week)</h3>
          <LineChart
            title="Selection-rate ratio to the reference, per group and week"
            band={[0.8, 1.25]}
            series={groups.map((g) => ({
              name: g,
              points: result.byWeek.map((w) => ({
                x: formatDay(w.week),
                y: w.groups.find((x) => x.group === g)?.disparateImpact ?? null,
              })),
            }))}
          />
        </section>
      )}

      {result.overrideByGroup.length > 0 && (
        <section className="card" aria-labelledby="fair-override-heading">
          <h3 id="fair-override-heading">Do reviewers correct the model more for one group?</h3>
          <DataTable
            rows={result.overrideByGroup}
            rowKey={(g) => g.group}
            columns={[
              { header: 'Group', rowHeader: true, cell: (g) => g.group },
              { header: 'Decisions', num: true, cell: (g) => formatCount(g.n) },
              { header: 'Reviewed', num: true, cell: (g) => formatCount(g.reviewed) },
              { header: 'Overridden', num: true, cell: (g) => formatCount(g.overridden) },
              {
                header: 'Override rate (95% CI)',
                num: true,
                cell: (g) => <RateWithInterval rate={g.overrideRate} ci={g.ci.overrideRate} />,
              },
              { header: 'Ratio', num: true, cell: (g) => formatRatio(g.overrideRateRatio) },
              { header: 'Flags', cellClass: 'small', cell: (g) => g.flags.join(', ') },
            ]}
          />
        </section>
      )}
    </>
  );
}

/** A rate and, beside it in small print, its 95% Wilson interval. */
function RateWithInterval({ rate, ci }: { rate: number | null; ci: [number, number] | null }) {
  return (
    <>
      {formatPercent(rate, 1)} <span className="muted small">{interval(ci)}</span>
    </>
  );
}

function GroupTable({ groups, outcomes }: { groups: GroupStats[]; outcomes: boolean }) {
  return (
    <DataTable
      testId="fairness-groups"
      rows={groups}
      rowKey={(g) => g.group}
      rowAttributes={(g) => ({ 'data-group': g.group, className: outsideBand(g) ? 'flag' : undefined })}
      columns={[
        { header: 'Group', rowHeader: true, cell: (g) => g.group },
        { header: 'Decisions', num: true, cell: (g) => formatCount(g.n) },
        { header: 'Favourable', num: true, cell: (g) => formatCount(g.selected) },
        {
          header: 'Selection rate (95% CI)',
          num: true,
          cell: (g) => <RateWithInterval rate={g.selectionRate} ci={g.ci.selectionRate} />,
        },
        {
          header: 'Ratio to ref.',
          num: true,
          cellClass: (g) => (outsideBand(g) ? 'error' : undefined),
          cell: (g) => formatRatio(g.disparateImpact),
        },
        outcomes && { header: 'TPR', num: true, cell: (g) => formatPercent(g.tpr, 1) },
        outcomes && { header: 'FPR', num: true, cell: (g) => formatPercent(g.fpr, 1) },
        outcomes && { header: 'FNR', num: true, cell: (g) => formatPercent(g.fnr, 1) },
        outcomes && { header: 'Precision', num: true, cell: (g) => formatPercent(g.precision, 1) },
        { header: 'Flags', cellClass: 'small', cell: (g) => g.flags.map((f) => FLAG_TEXT[f] ?? f).join('; ') },
      ]}
    />
  );
}
