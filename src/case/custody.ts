/**
 * The investigator's own activity log for a case (spec section 7, `custody.jsonl` of an evidence
 * package): one entry per action that touched the case, hash-chained with the same rule the archives
 * use (jcs-sha256-v1), so a later edit of the log shows. Each entry's hash covers
 * {seq, at, actor, action, details, prevHash}; the first entry's prevHash is 64 zeros.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { GENESIS_PREV_HASH, recordHash } from '../archive/canonical.ts';

export interface CustodyEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Who is acting: --investigator, else AUDIT_WS_INVESTIGATOR, else the operating-system user name. */
export function resolveInvestigator(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit && explicit.trim() !== '') return explicit.trim();
  if (env.AUDIT_WS_INVESTIGATOR && env.AUDIT_WS_INVESTIGATOR.trim() !== '') return env.AUDIT_WS_INVESTIGATOR.trim();
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

function entryHash(e: Omit<CustodyEntry, 'hash'>): string {
  return recordHash({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    details: e.details,
    prevHash: e.prevHash,
  });
}

interface CustodyRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

function fromRow(r: CustodyRow): CustodyEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    details: JSON.parse(r.details),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Appends one entry; call inside the transaction that makes the change it records. */
export function appendCustody(
  db: Database.Database,
  actor: string,
  action: string,
  details: Record<string, unknown>,
  at: Date = new Date(),
): CustodyEntry {
  const last = db.prepare('SELECT seq, hash FROM custody_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  // A JSON round trip first, so the hash covers exactly what is stored (no undefined, no Dates).
  const plainDetails = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  const base = {
    seq: last ? last.seq + 1 : 0,
    at: at.toISOString(),
    actor,
    action,
    details: plainDetails,
    prevHash: last ? last.hash : GENESIS_PREV_HASH,
  };
  const entry: CustodyEntry = { ...base, hash: entryHash(base) };
  db.prepare(
    'INSERT INTO custody_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(entry.seq, entry.at, entry.actor, entry.action, JSON.stringify(entry.details), entry.prevHash, entry.hash);
  return entry;
}

export function readCustody(db: Database.Database): CustodyEntry[] {
  return (db.prepare('SELECT * FROM custody_log ORDER BY seq').all() as CustodyRow[]).map(fromRow);
}

/** Re-computes every hash and link; returns the problems found (empty when the log is intact). */
export function verifyCustody(entries: readonly CustodyEntry[]): string[] {
  const problems: string[] = [];
  let prev = GENESIS_PREV_HASH;
  entries.forEach((e, i) => {
    if (e.seq !== i) problems.push(`entry ${i}: seq is ${e.seq}, expected ${i}`);
    if (e.prevHash !== prev) problems.push(`entry ${e.seq}: prevHash does not match the hash of entry ${e.seq - 1}`);
    const { hash: _h, ...rest } = e;
    void _h;
    if (entryHash(rest) !== e.hash) problems.push(`entry ${e.seq}: hash does not match its content`);
    prev = e.hash;
  });
  return problems;
}
