/**
 * Imports archives into a case, all or nothing.
 *
 *   1. plan: open every input (planner.ts); a bad input is refused before the case is touched;
 *   2. record the import in case.sqlite as `running` (committed at once, so a crash leaves a trace);
 *   3. hash every source file, count JSONL line facts (scan.ts); a data file whose SHA-256 an earlier
 *      import already loaded is skipped unless `force`; a .jsonl.gz that expands more than 200:1 is
 *      refused (LIMIT_EXCEEDED thrown, the `running` row removed: the case is as before);
 *   4. prepare each data file (Parquet schema, the exact line path) outside any transaction;
 *   5. one DuckDB transaction: load every data file (loader.ts), note duplicate ids; a file DuckDB
 *      cannot read midway aborts the transaction, which is rolled back and redone without that file
 *      (lenient) or ends the import (strict);
 *   6. strict mode with anything rejected or noted, a cancel, or any error: ROLLBACK, the case is as
 *      before; the import row says why (and, for strict, lists the rejects);
 *   7. otherwise case.sqlite's bookkeeping (source files with hashes, rejects, counts, custody entry)
 *      is written in a transaction that commits right after DuckDB's COMMIT. A crash between the two
 *      leaves the import `running`, and the next writer removes its rows (store.ts).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { RecordKind } from '../archive/kinds.ts';
import type { ArchiveFile } from '../archive/open.ts';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { appendCustody } from '../case/custody.ts';
import { diskError } from '../case/fs-errors.ts';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError, locate } from '../errors.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../archive/lines.ts';
import { loadExplanations } from './explanations.ts';
import type { ExplanationFile } from './explanations.ts';
import {
  BatchLoadError,
  REJECTS_TABLE,
  ROW_PROBLEMS_PREFIX,
  isReadError,
  loadBatches,
  prepareBatches,
  prepareRejectsTable,
  splitBatch,
} from './loader.ts';
import type { PrepareOptions, SourceFile } from './loader.ts';
import { planImport, streamRules } from './planner.ts';
import type { ImportPlan, PlannedFile } from './planner.ts';
import { ProgressTracker } from './progress.ts';
import type { ProgressListener } from './progress.ts';
import { sqlString } from './record-sql.ts';
import { SourceCopyWriter, copyFormatOf, removeCopy, syncCopies } from '../case/source-copies.ts';
import { scanFile } from './scan.ts';
import type { ScanJobResult } from './scan-job.ts';
import { ScanPool, scanPoolMinBytes } from './scan-pool.ts';
import type { ScanResult } from './scan.ts';

export interface ImportOptions {
  /** Import nothing if any record is rejected or any problem is noted. */
  strict?: boolean;
  /** Load data files even when an earlier import loaded the same bytes (same SHA-256). */
  force?: boolean;
  /** Longest JSONL line accepted (default 64 MiB); a longer line is rejected. */
  maxLineBytes?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Most duplicate-id notes recorded per import (default 100,000); the rest are counted. */
  maxDuplicateNotes?: number;
}

export type ImportStatus = 'done' | 'failed' | 'cancelled';

export interface ImportedFile {
  archive: string;
  path: string;
  role: string;
  format?: string;
  kind?: RecordKind;
  stream?: string;
  sha256: string;
  size: number;
  records?: number;
  rejected?: number;
  /** Why a data file was not loaded (already imported). */
  skipped?: string;
  /** How its lines were read ('fast': DuckDB's reader; 'exact': JS line splitting, with the reason). */
  read?: string;
}

export interface ImportReject {
  file: string;
  line?: number;
  row?: number;
  reason: string;
  excerpt?: string;
  disposition: 'rejected' | 'noted';
}

export interface ImportCounts {
  records: number;
  rejected: number;
  noted: number;
  dataFiles: number;
  skippedFiles: number;
  byKind: Partial<Record<RecordKind, number>>;
  byStream: Record<string, { kind: RecordKind; records: number }>;
}

export interface ImportResult {
  importId: number;
  status: ImportStatus;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: ImportCounts;
  files: ImportedFile[];
  /** The first rejects and notes (all of them are in case.sqlite's rejects table). */
  rejects: ImportReject[];
  rejectsTotal: number;
  warnings: string[];
  error?: string;
}

/** Rejects returned in the result (the rest are in case.sqlite). */
const RESULT_REJECTS = 1000;

interface FileState {
  planned: PlannedFile;
  scan?: ScanResult;
  sourceFileId: number;
  skipped?: string;
  /** Why DuckDB could not read the file (it is one reject, and nothing of it is loaded). */
  unreadable?: string;
  /** How its lines were read. */
  read?: string;
  /** The case's copy of a data file (source-copies.ts), in place: DuckDB loads from it. */
  copy?: string;
  /** Its SHA-256 (the file's own, or of a .jsonl.gz decompressed). */
  copySha256?: string;
  load?: { records: number; rejected: number; streams: { stream: string; kind: RecordKind; records: number }[] };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

export async function importArchives(
  handle: CaseHandle,
  inputs: readonly string[] | ImportPlan,
  options: ImportOptions = {},
): Promise<ImportResult> {
  handle.assertWritable();
  handle.refuseIfReadOnly('import archives');
  const ownPlan = Array.isArray(inputs);
  const plan: ImportPlan = ownPlan
    ? await timedStep('plan', () => planImport(inputs as readonly string[]))
    : (inputs as ImportPlan);
  try {
    return await runImport(handle, plan, options);
  } catch (err) {
    // What escapes runImport could not even be recorded in case.sqlite (e.g. a full disk): said plainly.
    throw diskError(err, handle.dir, 'importing (nothing was imported)');
  } finally {
    if (ownPlan) await plan.close();
  }
}

async function runImport(handle: CaseHandle, plan: ImportPlan, options: ImportOptions): Promise<ImportResult> {
  const { sqlite, duck } = handle;
  const started = new Date();
  const tracker = new ProgressTracker(options.onProgress);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const recordedOptions = { strict: !!options.strict, force: !!options.force, maxLineBytes };
  const importId = Number(
    sqlite
      .prepare(
        "INSERT INTO imports (started_at, status, actor, pid, host, inputs, options) VALUES (?, 'running', ?, ?, ?, ?, ?)",
      )
      .run(
        started.toISOString(),
        handle.actor,
        process.pid,
        os.hostname(),
        JSON.stringify(plan.inputs),
        JSON.stringify(recordedOptions),
      ).lastInsertRowid,
  );
  const firstFileId =
    (sqlite.prepare('SELECT coalesce(max(id), 0) AS m FROM source_files').get() as { m: number }).m + 1;
  const states: FileState[] = plan.files.map((planned, i) => ({ planned, sourceFileId: firstFileId + i }));
  const warnings = plan.archives.flatMap((a) =>
    a.warnings.map((w) => (plan.archives.length > 1 ? `${a.source}: ${w}` : w)),
  );
  let inTransaction = false;
  /** Set when an input is refused while hashing (a gzip bomb): the case is left as it was, the error thrown. */
  let refused: AuditWsError | undefined;
  let explanationNotes: { path: string; reason: string }[] | undefined;
  /** Copies of the data files being written (source-copies.ts), and the ones this import moved into place. */
  const copies = new Map<FileState, SourceCopyWriter>();
  const placedCopies: string[] = [];
  let copiesDurable: Promise<void> = Promise.resolve();
  let committed = false;
  // Before a failure is recorded: a full disk may be full of these copies.
  const dropCopies = async (): Promise<void> => {
    await copiesDurable.catch(() => undefined);
    const pending = [...copies.values()];
    copies.clear();
    await Promise.all(pending.map((c) => c.discard().catch(() => undefined)));
    for (const p of placedCopies.splice(0)) removeCopy(p);
  };

  try {
    // Hash everything (and count JSONL line facts).
    const dataBytes = states.filter((s) => s.planned.isData).reduce((a, s) => a + s.planned.file.size, 0);
    const allBytes = states.reduce((a, s) => a + s.planned.file.size, 0);
    tracker.plan(states.filter((s) => s.planned.isData).length, allBytes + dataBytes);
    const hashingStarted = performance.now();
    const hashingCpu = process.cpuUsage();
    let copyWaitMs = 0;
    // Every data file is copied into the case (source-copies.ts: the copy keeps its records' text). A file
    // as stored is copied by the kernel and the scan then reads the copy, so what is hashed, loaded and kept
    // are the same bytes; a .jsonl.gz is decompressed by the scan.
    for (const s of states) {
      const f = s.planned.file as ArchiveFile;
      const copyFormat = s.planned.isData ? copyFormatOf(f.format) : undefined;
      if (!copyFormat) continue;
      const tag = `import-${importId}-${s.sourceFileId}`;
      copies.set(s, new SourceCopyWriter(handle.dir, copyFormat, tag, f.format === 'jsonl.gz' ? 'stream' : 'whole'));
    }
    // With enough data, scan workers (scan-pool.ts) scan the data files, several at once, while this thread
    // makes their copies and hashes the other files.
    /** Stops the pool's other jobs when one file fails. */
    const stopScans = new AbortController();
    const scanSignal = options.signal ? AbortSignal.any([options.signal, stopScans.signal]) : stopScans.signal;
    const pool = dataBytes >= scanPoolMinBytes() && copies.size > 1 ? new ScanPool(scanSignal) : undefined;
    const pooled = new Map<FileState, Promise<ScanJobResult>>();
    try {
      if (pool) {
        // The kernel's copies are made one at a time, in file order, each scanned by a worker once made:
        // two copies at once, from a source not in the page cache, made the disk seek between them (10M
        // decisions: copying and hashing 168 s against 75 s).
        let copying: Promise<unknown> = Promise.resolve();
        for (const [s, copy] of copies) {
          const f = s.planned.file as ArchiveFile;
          const parts = copy.handOver();
          let made: Promise<unknown> = Promise.resolve();
          if (copy.mode === 'whole') {
            made = copying.then(() => {
              if (scanSignal.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
              copy.copyFrom(f.absPath);
              return kernelCopy(copy);
            });
            copying = made.catch(() => undefined);
          }
          const job = made.then(() =>
            pool.scan(
              {
                path: copy.mode === 'whole' ? parts.data : f.absPath,
                parts,
                format: f.format,
                displayName: f.path,
                maxLineBytes,
              },
              (n) => tracker.addBytes(n),
            ),
          );
          job.catch(() => undefined); // taken, in file order, below
          pooled.set(s, job);
        }
      }
      // Without the pool, one copy runs ahead of the scan: the copy and the scan's reads share libuv's four
      // threads, and with every copy queued at once the scan's reads waited behind all of them (1M
      // decisions: 7.3 s against 1.2 s for the scan alone).
      const wholeCopies = pool ? [] : states.filter((s) => copies.get(s)?.mode === 'whole');
      let copiesStarted = 0;
      let wholeScanned = 0;
      let lastYield = performance.now();
      for (const s of states) {
        if (pooled.has(s)) continue;
        // Small files are hashed synchronously; the pool's copies go on only when their callbacks can run.
        if (pool && performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        const f = s.planned.file;
        tracker.phase('hashing', f.path);
        const copy = copies.get(s);
        if (copy?.mode === 'whole') {
          // This file's copy and the next one's.
          for (wholeScanned++; copiesStarted <= wholeScanned && copiesStarted < wholeCopies.length; copiesStarted++) {
            const t = wholeCopies[copiesStarted];
            (copies.get(t) as SourceCopyWriter).copyFrom(t.planned.file.absPath);
          }
        }
        const waitStart = performance.now();
        if (copy?.mode === 'whole') await copied(kernelCopy(copy), f.path);
        copyWaitMs += performance.now() - waitStart;
        s.scan = await scanFile(copy?.mode === 'whole' ? copy.path : f.absPath, {
          format: s.planned.isData ? (f as ArchiveFile).format : undefined,
          signal: options.signal,
          onBytes: (n) => tracker.addBytes(n),
          displayName: f.path,
          maxLineBytes,
          ...(copy ? { copy } : {}),
        });
      }
      for (const [s, job] of pooled) {
        tracker.phase('hashing', s.planned.file.path);
        const r = await copied(job, s.planned.file.path);
        s.scan = r.scan;
        (copies.get(s) as SourceCopyWriter).scannedElsewhere(r.streamedSha256);
      }
    } catch (err) {
      // The other scans stop before their parts are removed (dropCopies).
      stopScans.abort();
      await Promise.allSettled(pooled.values());
      // A decompression bomb is refused like an unsafe container: as if the import had not started.
      if (err instanceof AuditWsError && err.code === 'LIMIT_EXCEEDED') refused = err;
      throw err;
    } finally {
      await pool?.close();
    }
    if (process.env.AUDIT_WS_DEBUG)
      process.stderr.write(
        `[import] copying and hashing: ${Math.round(performance.now() - hashingStarted)} ms (${pool ? `${pool.size} scan workers` : `${Math.round(copyWaitMs)} ms waiting for copies`}; CPU ${cpuText(process.cpuUsage(hashingCpu))})\n`,
      );
    const expectedRecords = states.reduce(
      (a, s) => a + (s.scan?.facts ? s.scan.facts.lines - s.scan.facts.blankLines : 0),
      0,
    );
    tracker.plan(states.filter((s) => s.planned.isData).length, allBytes + dataBytes, expectedRecords || undefined);

    markSkipped(handle, states, !!options.force);
    // The copies go into place now, and DuckDB loads from them; a failure takes them out again (dropCopies).
    for (const [s, copy] of copies) {
      copies.delete(s);
      const sha256 = (s.scan as ScanResult).sha256;
      if (s.skipped) {
        await copy.discard();
        continue;
      }
      s.copySha256 = copy.mode === 'stream' ? copy.streamedSha256() : sha256;
      placedCopies.push(...(await copy.commit(sha256)));
      s.copy = copy.path;
    }
    // Written to disk while DuckDB loads; waited for before the import commits.
    copiesDurable = syncCopies(handle.dir, placedCopies);
    copiesDurable.catch(() => undefined); // awaited (and reported) before COMMIT

    // Prepare data files (in batches) outside the transaction.
    await prepareRejectsTable(duck);
    // Filter pushdown copies the extraction's large expressions through every projection: planning an
    // INSERT took ~0.4 s with it and ~0.06 s without, and the filters gain nothing from being pushed.
    await duck.run("SET disabled_optimizers = 'filter_pushdown'");
    const sources: SourceFile[] = [];
    const stateOf = new Map<SourceFile, FileState>();
    for (const s of states) {
      if (!s.planned.isData || s.skipped) continue;
      const file = s.planned.file as ArchiveFile;
      const rules = streamRules(s.planned.archive, file);
      const sf: SourceFile = {
        file: loadedFrom(file, s),
        scan: s.scan as ScanResult,
        archiveIndex: plan.archives.indexOf(s.planned.archive),
        declaredStreams: rules.declaredStreams,
        context: {
          sourceFileId: s.sourceFileId,
          sourceFile: file.path,
          ...(rules.fileStream !== undefined ? { fileStream: rules.fileStream } : {}),
        },
      };
      sources.push(sf);
      stateOf.set(sf, s);
    }
    const prepareOptions: PrepareOptions = {
      importId,
      tempDir: handle.tempDir(),
      maxLineBytes,
      signal: options.signal,
    };
    tracker.phase('loading');
    const prepared = await timedStep('prepare', () => prepareBatches(duck, sources, prepareOptions));
    let batches = prepared.batches;
    const empty = new Set(prepared.empty);
    for (const [sf, why] of prepared.unreadable) (stateOf.get(sf) as FileState).unreadable = why;
    for (const b of batches) {
      for (const sf of b.files) {
        const why = b.exactBecause.get(sf.file.path);
        (stateOf.get(sf) as FileState).read = b.path === 'exact' ? `exact (${why})` : b.path;
      }
    }

    try {
      // Load, in one transaction; redone without a file that DuckDB cannot read midway. Normally one
      // statement per table (loader.ts); after a read error in one of those, batch by batch to find it.
      const loadStart = tracker.bytesDone;
      let combine = true;
      for (;;) {
        await duck.run('BEGIN TRANSACTION');
        inTransaction = true;
        try {
          for (const s of states) {
            if (!s.unreadable) continue;
            await duck.run(
              `INSERT INTO ${REJECTS_TABLE} VALUES (${s.sourceFileId}, ${sqlString(s.planned.file.path)}, NULL, NULL, ${sqlString(s.unreadable)}, NULL, 'rejected')`,
            );
          }
          for (const sf of empty) {
            await duck.run(
              `INSERT INTO ${REJECTS_TABLE} VALUES (${sf.context.sourceFileId}, ${sqlString(sf.file.path)}, NULL, NULL, 'file holds no records', NULL, 'noted')`,
            );
          }
          let current = { bytes: 0, records: 0 };
          await loadBatches(
            duck,
            batches,
            {
              signal: options.signal,
              onStatement: (label, bytes, records) => {
                current = { bytes, records };
                tracker.phase('loading', label);
              },
              onFraction: (fr) => tracker.partial(fr, current.bytes, current.records),
              onLoaded: (files, bytes, records) => tracker.fileLoaded(bytes, records, files),
            },
            combine,
          );
          // Explanation artefacts are kept with the evidence, in this transaction (explanations.ts).
          explanationNotes = (
            await timedStep('explanations', () => loadExplanations(duck, importId, explanationFilesOf(states)))
          ).notKept;
          tracker.phase('checking');
          await timedStep('dups', () => noteDuplicateIds(handle, importId, options.maxDuplicateNotes ?? 100_000));
          await timedStep('tally', () => tallyFiles(handle, importId, states));
          break;
        } catch (err) {
          await duck.run('ROLLBACK');
          inTransaction = false;
          if (!(err instanceof BatchLoadError) || !isReadError(err.failure)) {
            throw err instanceof BatchLoadError ? err.failure : err;
          }
          tracker.restartLoading(loadStart);
          for (const s of states) s.load = undefined;
          if (err.batches.length > 1) {
            // A statement over several batches: redo batch by batch to find the one DuckDB cannot read.
            combine = false;
            continue;
          }
          // Find the file: a batch of several is split into single files; a single file is set aside
          // (lenient) or ends the import (strict).
          const bad = err.batches[0];
          if (bad.files.length === 1 && options.strict) {
            throw new AuditWsError(
              'UNREADABLE_INPUT',
              `${bad.files[0].file.path}: cannot be read (${errorMessage(err.failure)})`,
              {
                file: bad.files[0].file.path,
              },
            );
          }
          batches = batches.filter((b) => b !== bad);
          if (bad.files.length > 1) {
            batches.push(...(await splitBatch(duck, bad, prepareOptions)));
          } else {
            (stateOf.get(bad.files[0]) as FileState).unreadable = `cannot be read (${errorMessage(err.failure)})`;
          }
          bad.cleanup();
        }
      }
    } finally {
      for (const b of batches) b.cleanup();
    }

    for (const n of explanationNotes ?? []) warnings.push(`${n.path}: not kept in the case (${n.reason})`);
    const tally = await tallyRejects(handle);
    const counts: ImportCounts = { ...countsOf(states), noted: tally.noted };
    if (options.strict && tally.total > 0) {
      const first = await firstReject(handle);
      const error = `strict import: ${counts.rejected} record(s) rejected and ${counts.noted} problem(s) noted (first: ${first}); nothing was imported`;
      // The rejects are copied while DuckDB still holds them, then everything is rolled back.
      await dropCopies();
      const result = await finishFailed(handle, plan, importId, started, 'failed', error, states, counts, warnings);
      await duck.run('ROLLBACK');
      inTransaction = false;
      return result;
    }

    // Commit: case.sqlite bookkeeping in a transaction that is committed right after DuckDB's.
    tracker.phase('committing');
    const finished = new Date();
    let firstRejects: ImportReject[];
    sqlite.exec('BEGIN IMMEDIATE');
    try {
      await timedStep('source files', async () => writeSourceFiles(handle, importId, states));
      firstRejects = await timedStep('rejects', () => copyRejects(handle, importId, true));
      sqlite
        .prepare("UPDATE imports SET status = 'done', finished_at = ?, counts = ? WHERE id = ?")
        .run(finished.toISOString(), JSON.stringify(counts), importId);
      appendCustody(
        sqlite,
        handle.actor,
        'import.done',
        custodyDetails(plan, importId, states, counts, recordedOptions),
      );
      await timedStep('copies on disk', () => copiesDurable);
      await timedStep('DuckDB COMMIT', () => duck.run('COMMIT'));
      inTransaction = false;
      sqlite.exec('COMMIT');
      committed = true;
    } catch (err) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw err;
    }
    tracker.phase('done');
    return {
      importId,
      status: 'done',
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      counts,
      files: importedFiles(states),
      rejects: firstRejects,
      rejectsTotal: tally.total,
      warnings,
    };
  } catch (err) {
    if (!committed) await dropCopies();
    if (inTransaction) await duck.run('ROLLBACK').catch(() => undefined);
    if (refused && err === refused) {
      // Nothing but the `running` row was written yet (evidence, source files, custody come later).
      sqlite.prepare("DELETE FROM imports WHERE id = ? AND status = 'running'").run(importId);
      throw refused;
    }
    const cancelled = options.signal?.aborted || (err instanceof AuditWsError && err.code === 'CANCELLED');
    const message = cancelled
      ? 'import cancelled; nothing was imported'
      : errorMessage(diskError(err, handle.dir, 'importing (nothing was imported)'));
    return finishFailed(
      handle,
      plan,
      importId,
      started,
      cancelled ? 'cancelled' : 'failed',
      message,
      states,
      countsOf(states),
      warnings,
    );
  } finally {
    // Connection settings and temporary tables of this import go (the connection outlives it).
    await duck.run('RESET disabled_optimizers').catch(() => undefined);
    await timedStep('drop temporary tables', () => dropImportTempTables(handle)).catch(() => undefined);
  }
}

/**
 * The file DuckDB reads for a data file: the case's copy (the same bytes, decompressed for a .jsonl.gz).
 * A .jsonl.gz whose stream is damaged is read as stored, where the reader reports how far it got.
 */
function loadedFrom(file: ArchiveFile, s: FileState): ArchiveFile {
  if (!s.copy) return file;
  if (file.format !== 'jsonl.gz') return { ...file, absPath: s.copy };
  return s.scan?.facts?.gzipError ? file : { ...file, absPath: s.copy, format: 'jsonl' };
}

/** A kernel copy of a data file that failed: the case's disk or the source (see copied). */
class CopyFailed extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'CopyFailed';
  }
}

/**
 * While the scan pool works, this thread's own hashing of small files (synchronous, thousands of them)
 * lets I/O callbacks run at least this often: each finished copy starts the next and hands its file to a
 * worker (1M decisions: the first copy was seen done only after 570 ms of explanation files).
 */
const YIELD_EVERY_MS = 5;

/** The kernel's copy of a data file, its failure marked as the copy's (see copied). */
function kernelCopy(copy: SourceCopyWriter): Promise<unknown> {
  return copy.copied().catch((e: unknown) => {
    throw new CopyFailed(e);
  });
}

/**
 * Waits for a copy (and, from a scan worker, the scan that followed it). A failed copy is the case's disk
 * (full, read-only) or the source, said as such; any other error is the scan's own.
 */
async function copied<T>(copying: Promise<T>, displayName: string): Promise<T> {
  try {
    return await copying;
  } catch (caught) {
    if (!(caught instanceof CopyFailed)) throw caught;
    const err = caught.failure;
    const code = (err as NodeJS.ErrnoException).code;
    // The case's disk (full, read-only) is said by the caller, naming the case folder.
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EIO') throw err;
    throw new AuditWsError('UNREADABLE_INPUT', `${displayName}: cannot be read (${errorMessage(err)})`, {
      file: displayName,
    });
  }
}

function explanationFilesOf(states: FileState[]): ExplanationFile[] {
  return states.flatMap((s) =>
    s.planned.file.role === 'explanation' && s.scan
      ? [
          {
            sourceFileId: s.sourceFileId,
            path: s.planned.file.path,
            absPath: s.planned.file.absPath,
            sha256: s.scan.sha256,
            size: s.scan.size,
          },
        ]
      : [],
  );
}

/** AUDIT_WS_DEBUG=1 prints the duration of the bookkeeping steps (see loader.ts for the statements). */
async function timedStep<T>(what: string, run: () => Promise<T>): Promise<T> {
  if (!process.env.AUDIT_WS_DEBUG) return run();
  const t = performance.now();
  const cpu = process.cpuUsage();
  try {
    return await run();
  } finally {
    process.stderr.write(
      `[import] ${what}: ${Math.round(performance.now() - t)} ms (CPU ${cpuText(process.cpuUsage(cpu))})\n`,
    );
  }
}

/** The process's CPU time (all threads, DuckDB's and the kernel's copies included) for debug timings. */
function cpuText(used: NodeJS.CpuUsage): string {
  return `user ${Math.round(used.user / 1000)} ms, system ${Math.round(used.system / 1000)} ms`;
}

/** The import's temporary tables: the key censuses and the Parquet row problems (loader.ts). */
async function dropImportTempTables(handle: CaseHandle): Promise<void> {
  const temp = await handle.duck.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE temporary AND (table_name LIKE 'key_census_%' OR table_name LIKE '${ROW_PROBLEMS_PREFIX}%')`,
  );
  for (const [name] of temp.getRowsJS()) await handle.duck.run(`DROP TABLE IF EXISTS temp.${String(name)}`);
}

/** Data files whose bytes an earlier import (or an earlier file of this one) already loaded. */
function markSkipped(handle: CaseHandle, states: FileState[], force: boolean): void {
  if (force) return;
  const earlier = handle.sqlite.prepare(
    "SELECT s.import_id, s.path FROM source_files s JOIN imports i ON i.id = s.import_id WHERE i.status = 'done' AND s.role = 'data' AND s.skipped IS NULL AND s.sha256 = ? ORDER BY s.id LIMIT 1",
  );
  const seen = new Map<string, string>();
  for (const s of states) {
    if (!s.planned.isData || !s.scan) continue;
    const prior = earlier.get(s.scan.sha256) as { import_id: number; path: string } | undefined;
    if (prior) s.skipped = `already imported by import #${prior.import_id} (${prior.path}, same SHA-256)`;
    else if (seen.has(s.scan.sha256)) s.skipped = `same content as ${seen.get(s.scan.sha256)} in this import`;
    else seen.set(s.scan.sha256, s.planned.file.path);
  }
}

/**
 * Ids that should be unique (decisionId, a lifecycle or review eventId) and that occur more than once
 * in the case once this import is in: each later occurrence from this import is noted with its file
 * and line. Noted records stay imported: dropping one would hide it from chain verification.
 */
async function noteDuplicateIds(handle: CaseHandle, importId: number, maxNotes: number): Promise<void> {
  const checks: [RecordKind, string, string][] = [
    ['decision', 'decision_id', 'decisionId'],
    ['lifecycle', 'event_id', 'eventId'],
    ['review', 'event_id', 'eventId'],
  ];
  for (const [kind, column, member] of checks) {
    const table = KIND_TABLES[kind];
    await handle.duck.run(`INSERT INTO ${REJECTS_TABLE}
      WITH dup AS (
        SELECT ${column} AS id FROM ${table} WHERE ${column} IS NOT NULL
        GROUP BY ${column} HAVING count(*) > 1 AND bool_or(import_id = ${importId})
      ),
      occ AS (
        SELECT t.${column} AS id, t.import_id, t.source_file_id, t.source_file, t.line, t.row,
          row_number() OVER w AS k,
          first_value(t.source_file || coalesce(':' || t.line, ' row ' || t.row) || ' (import #' || t.import_id || ')') OVER w AS first_at
        FROM ${table} t JOIN dup ON t.${column} = dup.id
        WINDOW w AS (PARTITION BY t.${column} ORDER BY t.import_id, t.source_file_id, t.line, t.row)
      )
      SELECT source_file_id, source_file, line, row, ${sqlString(`duplicate ${member} `)} || id || ', first seen at ' || first_at, NULL, 'noted'
      FROM occ WHERE k > 1 AND import_id = ${importId}
      ORDER BY source_file, line, row
      LIMIT ${maxNotes}`);
  }
}

/** Records per file and stream, and rejects per file, from what the transaction holds. */
async function tallyFiles(handle: CaseHandle, importId: number, states: FileState[]): Promise<void> {
  const byId = new Map(states.map((s) => [s.sourceFileId, s]));
  for (const s of states) {
    if (s.planned.isData && !s.skipped && !s.unreadable) s.load = { records: 0, rejected: 0, streams: [] };
  }
  for (const kind of Object.keys(KIND_TABLES) as RecordKind[]) {
    const rows = await handle.duck.runAndReadAll(
      `SELECT source_file_id, stream, count(*) FROM ${KIND_TABLES[kind]} WHERE import_id = ${importId} GROUP BY ALL`,
    );
    for (const [id, stream, n] of rows.getRowsJS()) {
      const load = byId.get(Number(id))?.load;
      if (!load) continue;
      load.records += Number(n);
      load.streams.push({ stream: String(stream), kind, records: Number(n) });
    }
  }
  const rejects = await handle.duck.runAndReadAll(
    `SELECT source_file_id, count(*) FROM ${REJECTS_TABLE} WHERE disposition = 'rejected' GROUP BY ALL`,
  );
  for (const [id, n] of rejects.getRowsJS()) {
    const load = byId.get(Number(id))?.load;
    if (load) load.rejected += Number(n);
  }
}

function countsOf(states: FileState[]): ImportCounts {
  const counts: ImportCounts = {
    records: 0,
    rejected: 0,
    noted: 0,
    dataFiles: 0,
    skippedFiles: 0,
    byKind: {},
    byStream: {},
  };
  for (const s of states) {
    if (!s.planned.isData) continue;
    counts.dataFiles++;
    if (s.skipped) counts.skippedFiles++;
    if (s.unreadable) counts.rejected++;
    if (!s.load) continue;
    counts.records += s.load.records;
    counts.rejected += s.load.rejected;
    for (const st of s.load.streams) {
      counts.byKind[st.kind] = (counts.byKind[st.kind] ?? 0) + st.records;
      const cur = counts.byStream[st.stream] ?? { kind: st.kind, records: 0 };
      cur.records += st.records;
      counts.byStream[st.stream] = cur;
    }
  }
  return counts;
}

/** "file:line: reason" of the first reject or note, for messages. */
async function firstReject(handle: CaseHandle): Promise<string> {
  const r = await handle.duck.runAndReadAll(
    `SELECT file, line, row, reason FROM ${REJECTS_TABLE} ORDER BY source_file_id, line, row LIMIT 1`,
  );
  const [file, line, row, reason] = r.getRowsJS()[0] ?? [];
  const where =
    row !== null && row !== undefined
      ? `${String(file)} row ${String(row)}`
      : locate(String(file), line === null || line === undefined ? undefined : Number(line));
  return `${where}: ${String(reason)}`;
}

async function tallyRejects(handle: CaseHandle): Promise<{ total: number; noted: number }> {
  const r = await handle.duck.runAndReadAll(
    `SELECT count(*), count(*) FILTER (disposition = 'noted') FROM ${REJECTS_TABLE}`,
  );
  const [total, noted] = r.getRowsJS()[0];
  return { total: Number(total), noted: Number(noted) };
}

/**
 * Copies the import's rejects and notes from DuckDB's temporary table into case.sqlite (call inside a
 * case.sqlite transaction), chunk by chunk so a file of a million bad lines does not fill memory.
 * Returns the first ones, for the result.
 */
async function copyRejects(handle: CaseHandle, importId: number, withFileIds: boolean): Promise<ImportReject[]> {
  const insert = handle.sqlite.prepare(
    'INSERT INTO rejects (import_id, source_file_id, file, line, row, reason, excerpt, disposition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const result = await handle.duck.stream(
    `SELECT source_file_id, file, line, row, reason, excerpt, disposition FROM ${REJECTS_TABLE} ORDER BY source_file_id, line, row, disposition`,
  );
  const first: ImportReject[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const [fileId, file, line, row, reason, excerpt, disposition] of chunk.getRows()) {
      // A failed import wrote no source_files rows, so its rejects name the file by path only.
      insert.run(
        importId,
        fileId === null || !withFileIds ? null : Number(fileId),
        String(file),
        line === null ? null : Number(line),
        row === null ? null : Number(row),
        String(reason),
        excerpt === null ? null : String(excerpt),
        String(disposition),
      );
      if (first.length < RESULT_REJECTS) {
        const r: ImportReject = {
          file: String(file),
          reason: String(reason),
          disposition: disposition as ImportReject['disposition'],
        };
        if (line !== null) r.line = Number(line);
        if (row !== null) r.row = Number(row);
        if (excerpt !== null) r.excerpt = String(excerpt);
        first.push(r);
      }
    }
  }
  return first;
}

/**
 * The small files verification rests on (descriptor, checkpoints with their signatures and time-stamps,
 * manifest, keys) are kept in case.sqlite, so they can be checked again without the archive. Data files
 * and explanations (which can number in the tens of thousands) are not: their content is in
 * evidence.duckdb (records; explanations.ts for the artefacts).
 */
const KEEP_CONTENT_BYTES = 1024 * 1024;
const KEEP_CONTENT_ROLES = new Set([
  'descriptor',
  'checkpoint',
  'checkpoint-signature',
  'checkpoint-timestamp',
  'manifest',
  'key',
]);

function writeSourceFiles(handle: CaseHandle, importId: number, states: FileState[]): void {
  const insert = handle.sqlite.prepare(`INSERT INTO source_files
    (id, import_id, archive, container, path, sha256, size, role, format, kind, stream, records, rejected, skipped, content, copy_sha256)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const s of states) {
    const f = s.planned.file;
    const a = f as Partial<ArchiveFile>;
    const keep = KEEP_CONTENT_ROLES.has(f.role) && f.size <= KEEP_CONTENT_BYTES;
    let content: Buffer | null = null;
    if (keep) {
      try {
        content = readFileSync(f.absPath);
      } catch {
        content = null;
      }
    }
    insert.run(
      s.sourceFileId,
      importId,
      s.planned.archive.source,
      s.planned.archive.container,
      f.path,
      s.scan?.sha256 ?? '',
      s.scan?.size ?? f.size,
      f.role,
      a.format ?? null,
      a.kind ?? null,
      a.stream ?? null,
      s.planned.isData ? (s.load?.records ?? 0) : null,
      s.planned.isData ? (s.load?.rejected ?? (s.unreadable ? 1 : 0)) : null,
      s.skipped ?? s.unreadable ?? null,
      content,
      s.copySha256 ?? null,
    );
  }
}

function importedFiles(states: FileState[]): ImportedFile[] {
  return states.map((s) => {
    const f = s.planned.file;
    const a = f as Partial<ArchiveFile>;
    const out: ImportedFile = {
      archive: s.planned.archive.source,
      path: f.path,
      role: f.role,
      sha256: s.scan?.sha256 ?? '',
      size: s.scan?.size ?? f.size,
    };
    if (a.format) out.format = a.format;
    if (a.kind) out.kind = a.kind;
    if (a.stream) out.stream = a.stream;
    if (s.planned.isData) {
      out.records = s.load?.records ?? 0;
      out.rejected = s.load?.rejected ?? (s.unreadable ? 1 : 0);
      if (s.read) out.read = s.read;
    }
    if (s.skipped) out.skipped = s.skipped;
    else if (s.unreadable) out.skipped = s.unreadable;
    return out;
  });
}

function custodyDetails(
  plan: ImportPlan,
  importId: number,
  states: FileState[],
  counts: ImportCounts,
  options: Record<string, unknown>,
): Record<string, unknown> {
  return {
    importId,
    inputs: plan.archives.map((a) => ({ source: a.source, container: a.container })),
    options,
    files: states.map((s) => ({
      archive: s.planned.archive.source,
      path: s.planned.file.path,
      role: s.planned.file.role,
      sha256: s.scan?.sha256,
      size: s.scan?.size,
      ...(s.skipped ? { skipped: s.skipped } : {}),
      // The case's copy, when it is not byte for byte the file (a .jsonl.gz, kept decompressed): bound here
      // into the hash-chained log, so the copy the record text is read from is on record too.
      ...(s.copySha256 && s.copySha256 !== s.scan?.sha256 ? { copySha256: s.copySha256 } : {}),
    })),
    records: counts.records,
    rejected: counts.rejected,
    noted: counts.noted,
  };
}

/**
 * Records a failed or cancelled import: its row says why, the custody log says it happened, and for a
 * strict import the rejects that stopped it are listed. The evidence is untouched (the caller rolls
 * DuckDB back; for strict, after this has copied the rejects out of the transaction).
 */
async function finishFailed(
  handle: CaseHandle,
  plan: ImportPlan,
  importId: number,
  started: Date,
  status: 'failed' | 'cancelled',
  error: string,
  states: FileState[],
  counts: ImportCounts,
  warnings: string[],
): Promise<ImportResult> {
  const finished = new Date();
  const sqlite = handle.sqlite;
  let rejects: ImportReject[] = [];
  let rejectsTotal = 0;
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    if (status === 'failed' && counts.rejected + counts.noted > 0) {
      rejects = await copyRejects(handle, importId, false);
      rejectsTotal = (await tallyRejects(handle)).total;
    }
    sqlite
      .prepare('UPDATE imports SET status = ?, finished_at = ?, counts = ?, error = ? WHERE id = ?')
      .run(status, finished.toISOString(), JSON.stringify({ ...counts, records: 0 }), error, importId);
    appendCustody(sqlite, handle.actor, `import.${status}`, {
      importId,
      inputs: plan.archives.map((a) => a.source),
      error,
      files: states
        .filter((s) => s.scan)
        .map((s) => ({ path: s.planned.file.path, sha256: s.scan?.sha256, size: s.scan?.size })),
    });
    sqlite.exec('COMMIT');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw err;
  }
  return {
    importId,
    status,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts: { ...counts, records: 0, byKind: {}, byStream: {} },
    files: importedFiles(states),
    rejects,
    rejectsTotal,
    warnings,
    error,
  };
}
