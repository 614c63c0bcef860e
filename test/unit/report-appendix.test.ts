import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderAppendix } from '../../src/report/sections/appendix.ts';
import type { AppendixData } from '../../src/report/sections/appendix.ts';

function data(explanations: number): AppendixData {
  const file = (path: string, role: string) => ({
    archive: 'demo',
    path,
    role,
    size: 10,
    sha256: createHash('sha256').update(path).digest('hex'),
    importId: 1,
  });
  return {
    inputFiles: [
      file('decisions/a.jsonl', 'data'),
      ...Array.from({ length: explanations }, (_, i) => file(`explanations/e${i}.json`, 'explanation')),
    ],
    custody: { entries: [], intact: true, problems: [], headHash: null, withheld: 0 },
    reportDataSha256: '0'.repeat(64),
    reportDataRule: 'rule',
  } as unknown as AppendixData;
}

describe('report appendix: input files', () => {
  it('lists every file of a small case', () => {
    const page = String(renderAppendix(data(3), 11));
    expect(page).toContain('explanations/e2.json');
    expect(page).not.toContain('are not listed here');
  });

  it("summarises a big case's explanation artefacts with a digest anyone can recompute, and lists the rest", () => {
    const d = data(5000);
    const page = String(renderAppendix(d, 11));
    expect(page).toContain('decisions/a.jsonl');
    expect(page).not.toContain('explanations/e42.json');
    const sums = d.inputFiles
      .filter((f) => f.role === 'explanation')
      .map((f) => `${f.sha256}  ${f.path}\n`)
      .sort()
      .join('');
    expect(page).toContain(createHash('sha256').update(sums).digest('hex'));
    expect(page).toContain('5,000 explanation artefacts (50,000 bytes)');
    expect(page.length).toBeLessThan(20_000);
  });
});
