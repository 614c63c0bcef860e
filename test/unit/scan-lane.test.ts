// The explorer's scan lane (src/contract/scan-lane.ts) on a real DuckDB: a newer task with the same key stops the
// running one (interrupted, CANCELLED) and any waiting one; tasks with other keys wait their turn and finish; the
// lane's connection is not the main one, so the main connection answers while a scan runs.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanLane } from '../../src/contract/scan-lane.ts';
import { AuditWsError } from '../../src/errors.ts';

let instance: DuckDBInstance;
let main: DuckDBConnection;

/** A query that runs until it is interrupted (several seconds at least). */
const SLOW = 'SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3';
const quick = async (duck: DuckDBConnection, v: number) =>
  Number((await duck.runAndReadAll(`SELECT ${v}`)).getRows()[0][0]);

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  main = await instance.connect();
});

afterAll(() => {
  instance.closeSync();
});

async function outcome<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (err) {
    return err instanceof AuditWsError ? err.code : `other: ${String(err)}`;
  }
}

describe('ScanLane', () => {
  it('stops a running scan when the same screen asks again, and runs the new one', async () => {
    const lane = new ScanLane(() => instance.connect());
    const started = performance.now();
    const stale = outcome(lane.run('explorer-1', (duck) => duck.runAndReadAll(SLOW)));
    await new Promise((r) => setTimeout(r, 200));
    // Meanwhile the main connection answers at once.
    expect(await quick(main, 7)).toBe(7);
    const fresh = await lane.run('explorer-1', (duck) => quick(duck, 42));
    expect(fresh).toBe(42);
    expect(await stale).toBe('CANCELLED');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('drops a waiting task of the same screen, and lets other screens wait their turn', async () => {
    const lane = new ScanLane(() => instance.connect());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const other = outcome(
      lane.run('explorer-other', async (duck) => {
        await gate;
        return quick(duck, 1);
      }),
    );
    const waiting = outcome(lane.run('explorer-2', (duck) => quick(duck, 2)));
    const newer = outcome(lane.run('explorer-2', (duck) => quick(duck, 3)));
    release();
    expect(await other).toBe(1);
    expect(await waiting).toBe('CANCELLED');
    expect(await newer).toBe(3);
  });

  it("keeps a task's own error when it was not replaced", async () => {
    const lane = new ScanLane(() => instance.connect());
    expect(await outcome(lane.run('k', (duck) => duck.runAndReadAll('SELECT * FROM no_such_table')))).toMatch(
      /^other: .*no_such_table/,
    );
    expect(await lane.run('k', (duck) => quick(duck, 5))).toBe(5);
  });
});
