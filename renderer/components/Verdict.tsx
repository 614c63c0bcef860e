const LABEL: Record<string, string> = {
  intact: 'Intact',
  tampered: 'Tampered',
  incomplete: 'Incomplete',
  unanchored: 'Unanchored',
  unverifiable: 'Unverifiable',
  pass: 'pass',
  fail: 'fail',
  warn: 'warning',
  passed: 'verified',
  failed: 'failed',
  warning: 'warning',
  'not-verified': 'not verified',
};

const TONE: Record<string, string> = {
  intact: 'ok',
  pass: 'ok',
  passed: 'ok',
  tampered: 'bad',
  fail: 'bad',
  failed: 'bad',
  incomplete: 'bad',
  unanchored: 'warn',
  warn: 'warn',
  warning: 'warn',
  unverifiable: 'warn',
  'not-verified': 'neutral',
};

const ICON: Record<string, string> = { ok: '✓', bad: '✗', warn: '!', neutral: '?' };

/** A verdict or status as a coloured pill with an icon, so it never depends on colour alone. */
export function Verdict({ value, title }: { value: string; title?: string }) {
  const tone = TONE[value] ?? 'neutral';
  return (
    <span className={`pill tone-${tone}`} title={title} data-verdict={value}>
      <span aria-hidden="true">{ICON[tone]} </span>
      {LABEL[value] ?? value}
    </span>
  );
}
