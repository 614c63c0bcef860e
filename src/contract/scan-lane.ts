/**
 * The explorer's counts and facet counts run on a DuckDB connection of their own (a "scan lane" per open case),
 * so the rows of the next question, read on the case's main connection, never wait behind a count of ten million
 * rows. A count or facet request names its asker (`supersede`, a key the explorer makes once per screen): a newer
 * request with the same key stops the one still running or waiting (DuckDB interrupt), which then fails as
 * CANCELLED. The asker has moved on and no longer reads it. Requests with other keys wait their turn.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CaseHandle } from '../case/store.ts';
import { AuditWsError } from '../errors.ts';

interface Task {
  key: string;
  stopped: boolean;
}

export class ScanLane {
  private connection: Promise<DuckDBConnection> | undefined;
  private running: Task | undefined;
  private readonly waiting = new Set<Task>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly connect: () => Promise<DuckDBConnection>) {}

  /** Runs `fn` on the lane's connection once the tasks before it are done; stops older tasks with the same key. */
  async run<T>(key: string, fn: (duck: DuckDBConnection) => Promise<T>): Promise<T> {
    this.connection ??= this.connect();
    const duck = await this.connection;
    for (const t of this.waiting) if (t.key === key) t.stopped = true;
    if (this.running?.key === key && !this.running.stopped) {
      this.running.stopped = true;
      duck.interrupt();
    }
    const task: Task = { key, stopped: false };
    this.waiting.add(task);
    const result = this.tail
      .catch(() => undefined)
      .then(async () => {
        this.waiting.delete(task);
        if (task.stopped) throw replaced();
        this.running = task;
        try {
          return await fn(duck);
        } catch (err) {
          throw task.stopped ? replaced() : err;
        } finally {
          this.running = undefined;
        }
      });
    this.tail = result;
    return result;
  }
}

function replaced(): AuditWsError {
  return new AuditWsError('CANCELLED', 'a newer question from the same screen replaced this one');
}

const lanes = new WeakMap<CaseHandle, ScanLane>();

/** The scan lane of an open case (its connection opens on first use and closes with the case). */
export function scanLaneOf(handle: CaseHandle): ScanLane {
  let lane = lanes.get(handle);
  if (!lane) {
    lane = new ScanLane(() => handle.connect());
    lanes.set(handle, lane);
  }
  return lane;
}
