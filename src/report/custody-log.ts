/**
 * Reading the custody log for people: every entry with its hash re-computed and its link checked,
 * read leniently so that a row someone altered with an SQLite tool (even into invalid JSON) is
 * reported as a finding on that entry instead of stopping the listing. Used by `audit-ws custody`
 * and the report's appendix.
 */
import type Database from 'better-sqlite3';
import { GENESIS_PREV_HASH } from '../archive/canonical.ts';
import type { CustodyEntry } from '../case/custody.ts';
import { custodyEntryHash } from '../package/custody-excerpt.ts';

export interface CustodyProblem {
  seq: number;
  message: string;
}

export interface CheckedCustody {
  entries: CustodyEntry[];
  intact: boolean;
  problems: CustodyProblem[];
  /** Hash of the last entry: quote it elsewhere (a report, a package) to pin the log's length. */
  headHash: string | null;
}

interface RawRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export function checkCustodyLog(db: Database.Database): CheckedCustody {
  const rows = db
    .prepare('SELECT seq, at, actor, action, details, prev_hash, hash FROM custody_log ORDER BY seq')
    .all() as RawRow[];
  const entries: CustodyEntry[] = [];
  const problems: CustodyProblem[] = [];
  let prev = GENESIS_PREV_HASH;
  rows.forEach((r, i) => {
    let details: Record<string, unknown> = {};
    let readable = true;
    try {
      const v = JSON.parse(r.details) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      details = v as Record<string, unknown>;
    } catch {
      readable = false;
      problems.push({
        seq: r.seq,
        message: `entry ${r.seq}: its details are not a JSON object; the row was edited outside the workstation`,
      });
    }
    const e: CustodyEntry = {
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      details,
      prevHash: r.prev_hash,
      hash: r.hash,
    };
    entries.push(e);
    if (r.seq !== i)
      problems.push({
        seq: r.seq,
        message: `entry ${r.seq}: expected seq ${i}; ${r.seq > i ? `entries ${i}..${r.seq - 1} are missing` : 'entries are duplicated or reordered'}`,
      });
    if (r.prev_hash !== prev)
      problems.push({ seq: r.seq, message: `entry ${r.seq}: prevHash does not match the hash of the entry before it` });
    if (readable && custodyEntryHash(e) !== r.hash)
      problems.push({
        seq: r.seq,
        message: `entry ${r.seq} (${r.action} at ${r.at}): its hash does not match its content; the row was changed after it was written`,
      });
    prev = r.hash;
  });
  return {
    entries,
    intact: problems.length === 0,
    problems,
    headHash: rows.length ? rows[rows.length - 1].hash : null,
  };
}

/** One line per entry for a terminal. */
export function formatCustodyLine(e: CustodyEntry, width = 100): string {
  const details = JSON.stringify(e.details);
  const room = Math.max(10, width - 60);
  return `${String(e.seq).padStart(5)}  ${e.at}  ${e.actor.padEnd(16).slice(0, 16)}  ${e.action.padEnd(20)}  ${details.length > room ? `${details.slice(0, room - 3)}...` : details}`;
}
