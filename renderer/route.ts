// Where the investigator is, as a hash route: #/cases, #/case/<slug>/<screen>?k=v. A hash keeps the place
// across reloads, works under both http://127.0.0.1 and audit-ws://app, and never reaches the server.

export const CASE_SCREENS = [
  'overview',
  'import',
  'verify',
  'explorer',
  'timeline',
  'anomalies',
  'oversight',
  'fairness',
  'annotations',
  'report',
] as const;
export type CaseScreen = (typeof CASE_SCREENS)[number];

export type Route =
  | { page: 'cases' }
  | { page: 'inspect' }
  | { page: 'case'; slug: string; screen: CaseScreen; query: Record<string, string> };

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = text.split('?', 2);
  const parts = pathPart.split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'inspect') return { page: 'inspect' };
  if (parts[0] === 'case' && parts[1]) {
    const screen = (CASE_SCREENS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as CaseScreen) : 'overview';
    return { page: 'case', slug: parts[1], screen, query: Object.fromEntries(new URLSearchParams(queryPart)) };
  }
  return { page: 'cases' };
}

export function formatRoute(route: Route): string {
  if (route.page === 'cases') return '#/cases';
  if (route.page === 'inspect') return '#/inspect';
  const query = new URLSearchParams(route.query).toString();
  return `#/case/${encodeURIComponent(route.slug)}/${route.screen}${query ? `?${query}` : ''}`;
}

export function caseRoute(slug: string, screen: CaseScreen = 'overview', query: Record<string, string> = {}): Route {
  return { page: 'case', slug, screen, query };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
