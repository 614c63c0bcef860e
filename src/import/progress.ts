/**
 * Progress of an import as plain JSON events (the CLI draws a bar from them, the UI will too). The work
 * is measured in bytes: every source file is read once to hash it, and every data file once more by
 * DuckDB, so the total is known before loading starts and the rate and ETA mean something.
 */
export type ImportPhase = 'opening' | 'hashing' | 'loading' | 'checking' | 'committing' | 'done';

export interface ImportProgress {
  phase: ImportPhase;
  /** The file being worked on (archive-relative path). */
  file?: string;
  filesDone: number;
  filesTotal: number;
  /** Bytes of work done / to do (hashing pass plus loading pass). */
  bytesDone: number;
  bytesTotal: number;
  /** Records loaded so far (estimated while DuckDB works through a file, exact after it). */
  recordsDone: number;
  /** Records expected, when the hashing pass could count them (JSONL lines, Parquet rows). */
  recordsTotal?: number;
  elapsedMs: number;
  /** Work bytes per second and records per second since the start. */
  bytesPerSecond: number;
  recordsPerSecond: number;
  /** Seconds left at the current rate; absent until there is a rate. */
  etaSeconds?: number;
}

export type ProgressListener = (p: ImportProgress) => void;

/** Keeps the counters and emits at most one event per interval (plus phase changes, always). */
export class ProgressTracker {
  private readonly started = Date.now();
  private lastEmit = 0;
  private readonly state: Omit<ImportProgress, 'elapsedMs' | 'bytesPerSecond' | 'recordsPerSecond' | 'etaSeconds'> = {
    phase: 'opening',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    recordsDone: 0,
  };
  /** Records already counted for files that are finished (recordsDone = this + the current file's estimate). */
  private recordsSettled = 0;
  private bytesSettled = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 200,
  ) {}

  plan(filesTotal: number, bytesTotal: number, recordsTotal?: number): void {
    this.state.filesTotal = filesTotal;
    this.state.bytesTotal = bytesTotal;
    if (recordsTotal !== undefined) this.state.recordsTotal = recordsTotal;
    this.emit(true);
  }

  phase(phase: ImportPhase, file?: string): void {
    this.state.phase = phase;
    if (file === undefined) delete this.state.file;
    else this.state.file = file;
    this.emit(true);
  }

  /** Bytes finished in the current step (hashing reads). */
  addBytes(bytes: number): void {
    this.bytesSettled += bytes;
    this.state.bytesDone = this.bytesSettled;
    this.emit(false);
  }

  /** Part of the current file DuckDB has worked through (0..1), as bytes and estimated records. */
  partial(fraction: number, fileBytes: number, fileRecords: number | undefined): void {
    const f = Math.max(0, Math.min(1, fraction));
    this.state.bytesDone = this.bytesSettled + Math.round(f * fileBytes);
    this.state.recordsDone = this.recordsSettled + (fileRecords === undefined ? 0 : Math.round(f * fileRecords));
    this.emit(false);
  }

  /** Data files finished loading (`files` of them, one by default). */
  fileLoaded(fileBytes: number, records: number, files = 1): void {
    this.bytesSettled += fileBytes;
    this.recordsSettled += records;
    this.state.bytesDone = this.bytesSettled;
    this.state.recordsDone = this.recordsSettled;
    this.state.filesDone += files;
    this.emit(true);
  }

  /** Starts the loading pass over (a file was set aside and the transaction restarted). */
  restartLoading(bytesAtLoadStart: number): void {
    this.bytesSettled = bytesAtLoadStart;
    this.recordsSettled = 0;
    this.state.bytesDone = bytesAtLoadStart;
    this.state.recordsDone = 0;
    this.state.filesDone = 0;
    this.emit(true);
  }

  get bytesDone(): number {
    return this.bytesSettled;
  }

  snapshot(): ImportProgress {
    const elapsedMs = Date.now() - this.started;
    const secs = elapsedMs / 1000;
    const bytesPerSecond = secs > 0 ? this.state.bytesDone / secs : 0;
    const recordsPerSecond = secs > 0 ? this.state.recordsDone / secs : 0;
    const p: ImportProgress = { ...this.state, elapsedMs, bytesPerSecond, recordsPerSecond };
    if (bytesPerSecond > 0 && this.state.bytesTotal > 0 && secs >= 0.5) {
      p.etaSeconds = Math.max(0, (this.state.bytesTotal - this.state.bytesDone) / bytesPerSecond);
    }
    return p;
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.listener(this.snapshot());
  }
}
