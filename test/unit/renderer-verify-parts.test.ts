// Parts of the Verification screen rendered to static markup (react-dom/server): what a case opened from an
// evidence package is shown (only what the package's verification uses: no retention policy, no archive
// wording), and each checkpoint's time on the time axis.
import { createElement as h } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CaseListItem, CheckpointPoint, VerifyOptionsView } from '../../src/contract/types.ts';
import { PackageVerificationNote } from '../../renderer/features/package/ReadOnlyNotice.tsx';
import { CheckpointAxis } from '../../renderer/features/verify/CheckpointAxis.tsx';
import { TrustOptions } from '../../renderer/features/verify/TrustOptions.tsx';

const options: VerifyOptionsView = {
  retentionPolicies: [
    { name: 'eu-ai-act', label: 'EU AI Act Art. 19 / 26(6): at least 6 months', months: 6 },
    { name: 'hipaa', label: 'HIPAA: 6 years', months: 72 },
  ],
  offeredKeys: [
    {
      sourceFileId: 7,
      archive: '/cases/x/package/evidence',
      path: 'keys/investigator.pub.pem',
      kind: 'public-key',
      algorithm: 'ed25519',
      fingerprint: 'DC:DD:88',
      looksLikeTsa: false,
    },
  ],
  archives: [{ path: '/cases/x/package/evidence', exists: false }],
};

const origin: NonNullable<CaseListItem['origin']> = {
  kind: 'evidence-package',
  file: '/inbox/evidence.zip',
  sha256: 'a'.repeat(64),
  kept: 'package/evidence.zip',
  openedAt: '2026-03-05T10:00:00Z',
  openedBy: 'Regulator',
};

const trust = (o?: typeof origin) =>
  renderToStaticMarkup(h(TrustOptions, { options, origin: o, disabled: false, open: true, onRun: () => undefined }));

describe('Verification screen of a package case', () => {
  it('offers the retention policy and speaks of archives for a case of archives', () => {
    const html = trust();
    expect(html).toContain('What to trust, and the retention policy');
    expect(html).toContain('Retention policy');
    expect(html).toContain('<option value="hipaa">HIPAA: 6 years</option>');
    expect(html).toContain('Keys the archives offer');
    expect(html).toContain('1 archive(s): /cases/x/package/evidence');
    // The archive is gone: the screen says so and how to fix it.
    expect(html).toContain('no longer at the path it was imported from');
  });

  it('shows only what the package verification uses: keys, and the kept copy it re-checks', () => {
    const html = trust(origin);
    expect(html).toContain('<h3>What to trust</h3>');
    expect(html).not.toMatch(/retention/i);
    expect(html).not.toContain('<select');
    expect(html).not.toMatch(/archive/i);
    expect(html).toContain('Keys the package offers');
    expect(html).toContain('data-key="keys/investigator.pub.pem"');
    expect(html).toContain('Re-checks the copy of the package kept in the case (package/evidence.zip).');
    // The run button works without archives: the package's verification reads the kept copy.
    expect(html).toMatch(/<button type="button" class="button primary">Run verification<\/button>/);
  });

  it('the package note no longer mentions a retention policy that does not apply', () => {
    const html = renderToStaticMarkup(
      h(PackageVerificationNote, { item: { origin, readOnly: 'opened from the evidence package evidence.zip' } }),
    );
    expect(html).toContain('Verification of an evidence package');
    expect(html).not.toMatch(/retention/i);
  });
});

describe('checkpoints on the time axis', () => {
  const point = (stream: string, label: string, createdAt: string): CheckpointPoint => ({
    stream,
    label,
    path: `checkpoints/${stream}/${label}.json`,
    createdAt,
    signed: true,
    timestamped: true,
    status: 'pass',
    findings: [],
  });

  it("names each mark with its checkpoint's time, and keeps the last date inside the chart", () => {
    const html = renderToStaticMarkup(
      h(CheckpointAxis, {
        points: [
          point('decisions', '2026-03-01', '2026-03-01T23:59:00Z'),
          point('outcomes', '2026-03-31', '2026-04-01T00:04:00.123Z'),
        ],
      }),
    );
    expect(html).toContain(
      '<title>decisions 2026-03-01, created 2026-03-01 23:59:00 UTC: pass, signed, time-stamped</title>',
    );
    expect(html).toContain(
      'aria-label="outcomes 2026-03-31, created 2026-04-01 00:04:00 UTC: pass, signed, time-stamped"',
    );
    const stamped = renderToStaticMarkup(
      h(CheckpointAxis, {
        points: [{ ...point('decisions', '2026-03-02', '2026-03-02T23:59:00Z'), genTime: '2026-03-03T00:01:02Z' }],
      }),
    );
    expect(stamped).toContain(
      '<title>decisions 2026-03-02, created 2026-03-02 23:59:00 UTC: pass, signed, time-stamped 2026-03-03 00:01:02 UTC</title>',
    );
    const ticks = [...html.matchAll(/<text [^>]*text-anchor="(\w+)" class="tick">([^<]+)<\/text>/g)];
    expect(ticks).toHaveLength(5);
    expect(ticks.at(-1)?.[1]).toBe('end');
    expect(ticks.at(-1)?.[2]).toBe('2026-04-01');
    expect(ticks.slice(0, -1).every((t) => t[1] === 'middle')).toBe(true);
  });
});
