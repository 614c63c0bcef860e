import { describe, expect, it } from 'vitest';
import { plainSentence } from '../../src/cli/main.ts';

function say(err: Error): string {
  return plainSentence(err, err.message);
}

describe('errors without a file name still say what happened and what to do', () => {
  it('a DuckDB block that fails its checksum during a query', () => {
    const s = say(
      new Error('IO Error: Corrupt database file: computed checksum 123 does not match stored checksum 456'),
    );
    expect(s).toMatch(/database file of this case is damaged/);
    expect(s).toMatch(/Re-import the archives into a new case/);
    expect(s).not.toMatch(/^unexpected/);
  });
  it('a full disk reported by DuckDB', () => {
    expect(say(new Error('IO Error: No space left on device'))).toMatch(/^the disk is full .*free some space/);
  });
  it("DuckDB's memory limit", () => {
    const s = say(
      new Error('Out of Memory Error: could not allocate block of size 256.0 KiB (953.5 MiB/953.6 MiB used)'),
    );
    expect(s).toMatch(/AUDIT_WS_DUCKDB_MEMORY/);
  });
  it('anything else is labelled unexpected', () => {
    expect(say(new Error('boom'))).toBe('unexpected error: boom');
  });
});
