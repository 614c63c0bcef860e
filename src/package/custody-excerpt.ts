/**
 * The custody log as it travels in a package. The log is a hash chain, so entries cannot be left out
 * without breaking it; instead, an entry whose details name records outside the package (an
 * annotation on another decision, an earlier export of other ids) keeps its place, time, actor,
 * action and hashes but not its details. Its own hash is then taken as given, while every link is
 * still checked, and the investigator can show the full entry later: it must hash to the same value.
 */
import { GENESIS_PREV_HASH, recordHash } from '../archive/canonical.ts';
import type { CustodyEntry } from '../case/custody.ts';
import type { CustodyExcerptEntry } from './format.ts';

/** The hash a custody entry carries (the case's rule, src/case/custody.ts): jcs-sha256-v1 over these members. */
export function custodyEntryHash(e: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: unknown;
  prevHash: string;
}): string {
  return recordHash({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    details: e.details,
    prevHash: e.prevHash,
  });
}

export function excerptCustody(
  entries: readonly CustodyEntry[],
  withholdReason: (e: CustodyEntry) => string | undefined,
): CustodyExcerptEntry[] {
  return entries.map((e) => {
    const why = withholdReason(e);
    const base = { seq: e.seq, at: e.at, actor: e.actor, action: e.action };
    return why === undefined
      ? { ...base, details: e.details, prevHash: e.prevHash, hash: e.hash }
      : { ...base, detailsWithheld: why, prevHash: e.prevHash, hash: e.hash };
  });
}

export interface CustodyExcerptCheck {
  entries: number;
  withheld: number;
  problems: { seq: number; line: number; message: string }[];
}

/** Checks every link from the genesis, and every hash whose details are present. */
export function verifyCustodyExcerpt(entries: readonly CustodyExcerptEntry[]): CustodyExcerptCheck {
  const problems: CustodyExcerptCheck['problems'] = [];
  let prev = GENESIS_PREV_HASH;
  let withheld = 0;
  entries.forEach((e, i) => {
    const line = i + 1;
    if (e.seq !== i)
      problems.push({
        seq: e.seq,
        line,
        message: `entry ${i}: seq is ${e.seq}, expected ${i} (entries missing or reordered)`,
      });
    if (e.prevHash !== prev)
      problems.push({
        seq: e.seq,
        line,
        message: `entry ${e.seq}: prevHash does not match the hash of entry ${e.seq - 1}`,
      });
    if (e.details !== undefined) {
      if (custodyEntryHash({ ...e, details: e.details }) !== e.hash)
        problems.push({ seq: e.seq, line, message: `entry ${e.seq}: hash does not match its content` });
    } else {
      withheld++;
      if (typeof e.detailsWithheld !== 'string')
        problems.push({
          seq: e.seq,
          line,
          message: `entry ${e.seq}: has neither details nor a reason they are withheld`,
        });
    }
    prev = e.hash;
  });
  return { entries: entries.length, withheld, problems };
}
