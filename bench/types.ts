/** One measured figure in bench-results.json. `baseline` and `ratio` compare against a reference run. */
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

/**
 * Options a benchmark may take besides --records, forwarded by bench/run.ts: `workspace` and `case` (an
 * existing case to measure instead of a generated one), `archive` (an existing archive), `tmp` (the folder
 * temporary workspaces are made in).
 */
export type BenchOptions = Partial<Record<'workspace' | 'case' | 'archive' | 'tmp', string>>;

/**
 * A named benchmark. `run` does the measuring and returns its figures; bench/run.ts runs each one in a
 * process of its own so that the peak RSS it reports belongs to that benchmark alone.
 */
export interface Benchmark {
  name: string;
  description: string;
  /** records (or decisions) measured when --records is not given */
  defaultRecords: number;
  run(records: number, log: (line: string) => void, options: BenchOptions): Promise<BenchEntry[]>;
}
