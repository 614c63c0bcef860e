/**
 * The findings vocabulary shared by every check, the CLI, the case store and the report.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'unverifiable';

/** What a failed check says about the evidence; verdicts are derived from it, never from check ids. */
export type FindingCategory = 'integrity' | 'completeness' | 'anchoring' | 'trust' | 'compliance' | 'coverage';

export interface Finding {
  check: string;
  status: CheckStatus;
  category: FindingCategory;
  stream?: string;
  seq?: number;
  /** last seq of a run (a deleted run of records is one finding over the whole gap) */
  seqEnd?: number;
  file?: string;
  line?: number;
  row?: number;
  expected?: unknown;
  actual?: unknown;
  message: string;
}

export type StreamVerdict = 'intact' | 'tampered' | 'incomplete' | 'unanchored' | 'unverifiable';

export const VERDICT_EXPLANATION: Record<StreamVerdict, string> = {
  intact: 'every record hash, link and checkpoint checked out and every record is anchored',
  tampered: 'records or files differ from what their hashes, links, checkpoints or the manifest assert',
  incomplete: 'records or files that the checkpoints or the manifest list are missing',
  unanchored: 'the chain is internally consistent but some records are not covered by any checkpoint',
  unverifiable: 'integrity cannot be established for some or all records',
};

/** Worst first: the overall verdict is the worst stream verdict. */
export const VERDICT_ORDER: readonly StreamVerdict[] = [
  'tampered',
  'incomplete',
  'unverifiable',
  'unanchored',
  'intact',
];

export function worstVerdict(verdicts: Iterable<StreamVerdict>): StreamVerdict {
  let worst: StreamVerdict = 'intact';
  for (const v of verdicts) if (VERDICT_ORDER.indexOf(v) < VERDICT_ORDER.indexOf(worst)) worst = v;
  return worst;
}

/**
 * Collects findings; keeps every failure but caps the kept passes/repeats so a hostile or badly broken
 * archive cannot exhaust memory. Counts stay exact even past the cap.
 */
export class FindingSink {
  readonly findings: Finding[] = [];
  readonly counts = new Map<string, Record<CheckStatus, number>>();
  dropped = 0;
  constructor(private readonly limit = 200_000) {}

  add(f: Finding): void {
    const c = this.counts.get(f.check) ?? { pass: 0, fail: 0, warn: 0, unverifiable: 0 };
    c[f.status]++;
    this.counts.set(f.check, c);
    if (f.status === 'pass') return;
    if (this.findings.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.findings.push(f);
  }

  /** Counts a pass without storing it: per-record passes would be millions of rows. */
  pass(check: string, n = 1): void {
    const c = this.counts.get(check) ?? { pass: 0, fail: 0, warn: 0, unverifiable: 0 };
    c.pass += n;
    this.counts.set(check, c);
  }
}
