/** Fairness: placeholder until the fairness query lands. */
import { html } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import type { ReportContext } from '../context.ts';
import type { Headline } from './summary.ts';

export interface FairnessData {
  available: false;
  reason: string;
}

export async function collectFairness(_ctx: ReportContext): Promise<FairnessData> {
  return { available: false, reason: 'the fairness query is not available in this build' };
}

export function fairnessHeadlines(_d: FairnessData): Headline[] {
  return [];
}

export function renderFairness(d: FairnessData, n: number): Html {
  return html`<section id="fairness"><h2>${n}. Fairness</h2><p class="empty">${d.reason}</p></section>`;
}
