/** Human oversight: placeholder until the oversight query lands. */
import { html } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import type { ReportContext } from '../context.ts';
import type { Headline } from './summary.ts';

export interface OversightData {
  available: false;
  reason: string;
}

export async function collectOversight(_ctx: ReportContext): Promise<OversightData> {
  return { available: false, reason: 'the oversight query is not available in this build' };
}

export function oversightHeadlines(_d: OversightData): Headline[] {
  return [];
}

export function renderOversight(d: OversightData, n: number): Html {
  return html`<section id="oversight"><h2>${n}. Human oversight</h2><p class="empty">${d.reason}</p></section>`;
}
