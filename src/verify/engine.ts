import { hash as oneShotHash } from 'node:crypto';
import { fastCanonicalText } from '../archive/fast-canonical.ts';
import type { RecordKind } from '../archive/kinds.ts';
import { readCheckpoint } from '../archive/manifest.ts';
import type { ArchiveFile, OpenedArchive } from '../archive/open.ts';
import { readRecords } from '../archive/records.ts';
import { AuditWsError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { ChainState } from './chain-state.ts';
import { planChunks } from './scan/plan.ts';
import { ScanPool } from './scan/pool.ts';
import type { ChunkResult } from './scan/scan-chunk.ts';
import { archiveChecks, recordChecks } from './checks/index.ts';
import { FindingSink, VERDICT_EXPLANATION, worstVerdict, type Finding, type StreamVerdict } from './findings.ts';
import {
  isRetentionPolicy,
  RETENTION_POLICIES,
  type LoadedCheckpoint,
  type ScannedRecord,
  type StreamInput,
  type StreamResult,
  type VerifyContext,
  type VerifyOptions,
} from './types.ts';

export interface VerifyReport {
  verdict: StreamVerdict;
  reason: string;
  toolVersion: string;
  startedAt: string;
  finishedAt: string;
  parameters: {
    archives: string[];
    retention: string;
    trustKeys: string[];
    trustFingerprints: string[];
    trustTsa: string[];
  };
  streams: Record<string, StreamResult>;
  checks: { id: string; pass: number; fail: number; warn: number; unverifiable: number }[];
  findings: Finding[];
  findingsDropped: number;
}

function isChainMember(value: Record<string, unknown>): boolean {
  return value.hash !== undefined || value.prevHash !== undefined || value.seq !== undefined;
}

/** Groups data files and checkpoints of every archive by stream: a stream may span archives. */
async function buildStreams(archives: OpenedArchive[], sink: FindingSink): Promise<StreamInput[]> {
  const byName = new Map<string, StreamInput>();
  const get = (name: string, kind?: RecordKind): StreamInput => {
    let s = byName.get(name);
    if (!s) {
      s = { name, kind, files: [], checkpoints: [] };
      byName.set(name, s);
    }
    if (!s.kind && kind) s.kind = kind;
    return s;
  };
  for (const archive of archives) {
    const data = archive.files.filter((f) => f.role === 'data').sort((a, b) => a.path.localeCompare(b.path));
    for (const file of data) get(file.stream ?? file.kind ?? 'unknown', file.kind).files.push({ archive, file });
    for (const cp of archive.checkpoints) {
      try {
        const { bytes, value } = await readCheckpoint(archive, cp);
        const loaded: LoadedCheckpoint = { archive, files: cp, bytes, value };
        get(cp.stream).checkpoints.push(loaded);
      } catch (err) {
        sink.add({
          check: 'checkpoint-form',
          status: 'fail',
          category: 'integrity',
          stream: cp.stream,
          file: cp.path,
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
  return [...byName.values()];
}

function scannedFromRecord(
  stream: string,
  item: { file: string; line?: number; row?: number; unverifiable?: string; value: Record<string, unknown> },
): ScannedRecord {
  const v = item.value;
  const rec: ScannedRecord = {
    stream,
    file: item.file,
    line: item.line,
    row: item.row,
    hasChain: isChainMember(v),
    seq: typeof v.seq === 'number' ? v.seq : undefined,
    hash: typeof v.hash === 'string' ? v.hash : undefined,
    prevHash: typeof v.prevHash === 'string' ? v.prevHash : undefined,
    unverifiable: item.unverifiable,
  };
  if (rec.hasChain && !rec.unverifiable && rec.hash !== undefined) {
    try {
      rec.computed = oneShotHash('sha256', fastCanonicalText(v), 'hex');
    } catch (err) {
      rec.unverifiable = err instanceof Error ? err.message : String(err);
    }
  }
  return rec;
}

/** Runs every record check on one record and makes it the predecessor if it extends the chain. */
function judge(rec: ScannedRecord, state: ChainState, sink: FindingSink): boolean {
  state.records++;
  if (!rec.hasChain) {
    state.unchained++;
    return false;
  }
  state.chained++;
  for (const check of recordChecks) check.onRecord?.(rec, state, sink);
  // a duplicate or step back must not displace the predecessor of the records that follow it
  const prevSeq = state.prev?.seq;
  if (rec.seq === undefined || prevSeq === undefined || rec.seq > prevSeq) {
    state.accept(rec);
    return true;
  }
  return false;
}

interface WalkContext {
  sink: FindingSink;
  options: VerifyOptions;
  progress: { records: number; bytes: number; bytesTotal: number };
  pool?: ScanPool;
}

function reportProgress(ctx: WalkContext, phase: string): void {
  ctx.options.onProgress?.({
    phase,
    recordsDone: ctx.progress.records,
    bytesDone: ctx.progress.bytes,
    bytesTotal: ctx.progress.bytesTotal,
  });
}

/** Reader path: without a worker pool (a small archive, or `workers: 0`). */
async function walkFileInline(
  stream: StreamInput,
  archive: OpenedArchive,
  file: ArchiveFile,
  state: ChainState,
  ctx: WalkContext,
): Promise<void> {
  for await (const item of readRecords(archive, file, { onError: 'yield' })) {
    if (ctx.options.signal?.aborted) throw new AuditWsError('CANCELLED', 'Verification was cancelled.');
    if ('error' in item) {
      ctx.sink.add({
        check: 'record-format',
        status: 'fail',
        category: 'integrity',
        stream: stream.name,
        file: item.file,
        line: item.line,
        row: item.row,
        message: item.message,
      });
      continue;
    }
    judge(scannedFromRecord(stream.name, item), state, ctx.sink);
    if (++ctx.progress.records % 50_000 === 0) reportProgress(ctx, `stream ${stream.name}`);
  }
  ctx.progress.bytes += file.size;
}

/** The seq ranges the stream's checkpoints cover, merged and flattened: [first, last, first, last, ...]. */
function anchorRanges(stream: StreamInput): number[] {
  const ranges = stream.checkpoints
    .map((c) => [c.value.firstSeq, c.value.lastSeq])
    .filter(([f, l]) => Number.isFinite(f) && Number.isFinite(l) && f <= l)
    .sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [f, l] of ranges) {
    if (out.length > 0 && f <= out[out.length - 1] + 1) out[out.length - 1] = Math.max(out[out.length - 1], l);
    else out.push(f, l);
  }
  return out;
}

/**
 * Worker path: byte ranges of consecutive JSONL files hashed in parallel, consumed here in file order.
 * The window of ranges in flight runs across file boundaries, so workers never wait for a file's last
 * range to be consumed before the next file starts.
 */
async function walkFilesParallel(
  stream: StreamInput,
  files: ArchiveFile[],
  state: ChainState,
  ctx: WalkContext,
  pool: ScanPool,
): Promise<void> {
  const anchors = anchorRanges(stream);
  const jobs = files.flatMap((file) =>
    file.format === 'parquet'
      ? [
          {
            job: { absPath: file.absPath, displayPath: file.path, start: 0, gzip: false, parquet: true, anchors },
            file,
          },
        ]
      : planChunks(file, ctx.options.chunkBytes).map((job) => ({ job: { ...job, anchors }, file })),
  );
  const window = pool.size * 2;
  const inflight: Promise<ChunkResult>[] = [];
  let submitted = 0;
  let lineBase = 0;
  const hex = (buf: Uint8Array, i: number) => Buffer.from(buf.buffer, buf.byteOffset + i * 32, 32).toString('hex');
  for (let j = 0; j < jobs.length; j++) {
    while (submitted < jobs.length && submitted < j + window) inflight.push(pool.run(jobs[submitted++].job));
    const r = await inflight.shift()!;
    if (ctx.options.signal?.aborted) throw new AuditWsError('CANCELLED', 'Verification was cancelled.');
    const { job, file } = jobs[j];
    if (j > 0 && jobs[j - 1].file !== file) lineBase = 0;
    // a position in the file: a line (JSONL ranges, numbered from the file's start) or a Parquet row
    const position = (n: number): { line?: number; row?: number } => (r.rows ? { row: n } : { line: lineBase + n });
    for (const e of r.errors)
      ctx.sink.add({
        check: 'record-format',
        status: 'fail',
        category: 'integrity',
        stream: stream.name,
        file: file.path,
        ...position(e.line),
        message: e.message,
      });
    const details = new Map(r.details.map((d) => [d.i, d]));
    let linked = 0;
    let prevAccepted = true;
    for (let i = 0; i < r.records; i++) {
      if (r.normal[i] === 1 && prevAccepted && i > 0) {
        // a run of records each plainly linked to the one before: no object per record
        let k = i + 1;
        while (k < r.records && r.normal[k] === 1) k++;
        state.records += k - i;
        state.chained += k - i;
        linked += k - i;
        state.acceptLinkedRun(r, i, k, file.path, lineBase);
        i = k - 1;
        continue;
      }
      const at = position(r.lineNos[i]);
      const d = details.get(i);
      const rec: ScannedRecord = d
        ? {
            stream: stream.name,
            file: file.path,
            ...at,
            hasChain: d.hasChain,
            seq: d.seq,
            hash: d.hash,
            prevHash: d.prevHash,
            computed: d.computed,
            unverifiable: d.unverifiable,
          }
        : {
            stream: stream.name,
            file: file.path,
            ...at,
            hasChain: true,
            seq: r.seqs[i],
            hash: hex(r.hashes, i),
            computed: hex(r.hashes, i),
            prevHash: hex(r.hashes, i - 1),
          };
      prevAccepted = judge(rec, state, ctx.sink);
    }
    // a linked record passed exactly these checks; count them without a finding object each
    if (linked > 0) for (const id of ['record-hash', 'sequence', 'link']) ctx.sink.pass(id, linked);
    if (r.fatal)
      ctx.sink.add({
        check: 'record-format',
        status: 'fail',
        category: 'integrity',
        stream: stream.name,
        file: file.path,
        ...(r.fatal.line > 0 || !r.rows ? position(r.fatal.line) : {}),
        message: r.fatal.message,
      });
    lineBase += r.lines;
    ctx.progress.records += r.records;
    ctx.progress.bytes += (job.end ?? file.size) - job.start;
    reportProgress(ctx, `stream ${stream.name}`);
  }
}

async function walkStream(stream: StreamInput, ctx: WalkContext): Promise<ChainState> {
  const state = new ChainState(stream);
  const files = stream.files;
  for (let f = 0; f < files.length;) {
    const { archive, file } = files[f];
    if (ctx.pool && file.format !== undefined) {
      // the run of data files from here goes through the workers as one pipeline
      let e = f + 1;
      while (e < files.length && files[e].file.format !== undefined) e++;
      await walkFilesParallel(
        stream,
        files.slice(f, e).map((x) => x.file),
        state,
        ctx,
        ctx.pool,
      );
      f = e;
    } else {
      await walkFileInline(stream, archive, file, state, ctx);
      f++;
    }
  }
  for (const check of recordChecks) check.onEnd?.(state, ctx.sink);
  return state;
}

/** Which stream a file-level finding (manifest, signature) belongs to. */
function streamOfFile(streams: StreamInput[], file: string | undefined): string | undefined {
  if (!file) return undefined;
  for (const s of streams) {
    if (s.files.some((f) => f.file.path === file)) return s.name;
    if (s.checkpoints.some((c) => file === c.files.path || file === c.files.sigPath || file === c.files.tsrPath))
      return s.name;
  }
  return undefined;
}

function streamVerdict(state: ChainState | undefined, findings: Finding[]): { verdict: StreamVerdict; reason: string } {
  const failing = (cat: string) => findings.find((f) => f.status === 'fail' && f.category === cat);
  const integrity = failing('integrity');
  if (integrity) return { verdict: 'tampered', reason: integrity.message };
  const completeness = failing('completeness');
  if (completeness) return { verdict: 'incomplete', reason: completeness.message };
  if (state && state.records > 0 && state.chained === 0)
    return {
      verdict: 'unverifiable',
      reason: `The ${state.records} records carry no chain members (seq, prevHash, hash): integrity cannot be established.`,
    };
  if (state && state.unchained > 0)
    return {
      verdict: 'unverifiable',
      reason: `${state.unchained} records carry no chain members: their integrity cannot be established.`,
    };
  const unverifiable = findings.find((f) => f.status === 'unverifiable' && f.category === 'integrity');
  if (unverifiable) return { verdict: 'unverifiable', reason: unverifiable.message };
  const anchoring = findings.find((f) => (f.status === 'fail' || f.status === 'warn') && f.category === 'anchoring');
  if (anchoring) return { verdict: 'unanchored', reason: anchoring.message };
  return { verdict: 'intact', reason: VERDICT_EXPLANATION.intact };
}

/**
 * Verifies one or more opened archives as one body of evidence: streams that continue across archives
 * (a warm-tier export and a later hot-tier export) are walked as one chain.
 */
export async function verifyArchives(archives: OpenedArchive[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const startedAt = new Date().toISOString();
  const sink = new FindingSink();
  const policy = options.retention ?? 'eu-ai-act';
  if (!isRetentionPolicy(policy))
    throw new AuditWsError('BAD_USAGE', `Unknown retention policy "${options.retention}".`);
  const retention = RETENTION_POLICIES[policy];
  const bytesTotal = archives.reduce(
    (n, a) => n + a.files.filter((f) => f.role === 'data').reduce((m, f) => m + f.size, 0),
    0,
  );
  // workers pay off only when there is enough to hash; small archives stay on the calling thread.
  // They are started first, so they boot while the checkpoints load.
  const usePool = options.workers === undefined ? bytesTotal >= 4 * 1024 * 1024 : options.workers > 0;
  const pool = usePool ? new ScanPool(options.workers) : undefined;
  const states = new Map<string, ChainState>();
  let streams: StreamInput[];
  try {
    streams = await buildStreams(archives, sink);
    const walk: WalkContext = { sink, options, progress: { records: 0, bytes: 0, bytesTotal }, pool };
    for (const stream of streams) states.set(stream.name, await walkStream(stream, walk));
  } finally {
    await pool?.close();
  }

  const ctx: VerifyContext = { archives, streams, options, retention, now: new Date() };
  for (const check of options.chainOnly ? [] : archiveChecks) {
    if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'Verification was cancelled.');
    await check.run(ctx, sink);
  }

  for (const f of sink.findings) if (!f.stream) f.stream = streamOfFile(streams, f.file);

  const streamResults: Record<string, StreamResult> = {};
  for (const stream of streams) {
    const state = states.get(stream.name);
    const mine = sink.findings.filter((f) => f.stream === stream.name);
    const { verdict, reason } = streamVerdict(state, mine);
    streamResults[stream.name] = {
      name: stream.name,
      kind: stream.kind,
      verdict,
      reason,
      records: state?.records ?? 0,
      firstSeq: state?.firstSeq,
      lastSeq: state?.lastSeq,
      checkpoints: stream.checkpoints.length,
      anchoredRecords: state?.anchored ?? 0,
    };
  }
  const archiveWide = sink.findings.filter((f) => !f.stream);
  let verdict = worstVerdict(Object.values(streamResults).map((s) => s.verdict));
  let reason: string;
  const archiveIntegrity = archiveWide.find((f) => f.status === 'fail' && f.category === 'integrity');
  if (archiveIntegrity && verdict !== 'tampered') {
    verdict = 'tampered';
    reason = archiveIntegrity.message;
  } else if (streams.length === 0) {
    verdict = 'unverifiable';
    reason = 'The archive holds no records: integrity cannot be established.';
  } else {
    const worst = Object.values(streamResults).find((s) => s.verdict === verdict);
    reason =
      verdict === 'intact'
        ? `All ${streams.length} streams are intact: ${VERDICT_EXPLANATION.intact}.`
        : `Stream ${worst?.name}: ${worst?.reason}`;
  }
  const trustGaps = sink.findings.filter((f) => f.category === 'trust' && f.status !== 'pass');
  if (trustGaps.length > 0)
    reason += ` Trust: ${trustGaps.length} signature/time-stamp finding(s) limit what is proven, e.g.: ${trustGaps[0].message}`;
  const compliance = sink.findings.filter((f) => f.category === 'compliance' && f.status !== 'pass');
  if (compliance.length > 0)
    reason += ` Also ${compliance.length} compliance finding(s), e.g.: ${compliance[0].message}`;

  const checks = [...sink.counts.entries()].map(([id, c]) => ({ id, ...c }));
  return {
    verdict,
    reason,
    toolVersion: TOOL_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    parameters: {
      archives: archives.map((a) => a.source),
      retention: retention.name,
      trustKeys: options.trustKeys ?? [],
      trustFingerprints: options.trustFingerprints ?? [],
      trustTsa: options.trustTsa ?? [],
    },
    streams: streamResults,
    checks,
    findings: sink.findings,
    findingsDropped: sink.dropped,
  };
}
