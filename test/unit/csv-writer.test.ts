import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvWriter, csvField, csvLine, looksLikeFormula } from '../../src/export/csv.ts';

const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'csv-'));
  temps.push(d);
  return d;
}

async function writeCsv(file: string, header: string[], rows: unknown[][]): Promise<void> {
  const w = new CsvWriter(createWriteStream(file));
  await w.writeHeader(header);
  for (const r of rows) await w.writeRow(r as never);
  await w.end();
}

/** Reads a CSV back with DuckDB's reader (an independent RFC 4180 parser), every cell as text. */
async function readBack(file: string): Promise<(string | null)[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const r = await con.runAndReadAll(
      `SELECT * FROM read_csv('${file.replace(/'/g, "''")}', header=true, all_varchar=true, quote='"', escape='"', delim=',', auto_detect=false, columns={'a':'VARCHAR','b':'VARCHAR'}, strict_mode=true)`,
    );
    return r.getRowsJS() as (string | null)[][];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe('csv fields', () => {
  it('escapes text that a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      expect(looksLikeFormula(`${lead}1`)).toBe(true);
      expect(csvField(`${lead}1+1`).startsWith(`"'${lead}`)).toBe(true);
    }
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes numbers as numbers, also negative ones', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(12n)).toBe('12');
    expect(csvField('-5')).toBe(`"'-5"`);
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and ends lines with CRLF', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines', 'x'])).toBe('"a,b","say ""hi""","two\nlines",x\r\n');
  });

  it('writes objects as JSON and dates as ISO 8601', () => {
    expect(csvField({ k: [1, 'v'] })).toBe('"{""k"":[1,""v""]}"');
    expect(csvField(new Date('2026-03-01T00:00:00Z'))).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('csv files', () => {
  it('a cell holding =HYPERLINK("x") reads back as the text with its apostrophe, in one cell', async () => {
    const file = join(tempDir(), 'x.csv');
    await writeCsv(
      file,
      ['a', 'b'],
      [
        ['=HYPERLINK("x")', '@SUM(A1)'],
        ['ok', 'ü € 中文'],
      ],
    );
    expect(await readBack(file)).toEqual([
      [`'=HYPERLINK("x")`, `'@SUM(A1)`],
      ['ok', 'ü € 中文'],
    ]);
    expect(readFileSync(file, 'utf8').startsWith('a,b\r\n')).toBe(true);
  });

  it('round-trips any text through an independent reader (property)', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), fc.string(), async (a, b) => {
        const file = join(dir, `p${n++}.csv`);
        await writeCsv(file, ['a', 'b'], [[a, b]]);
        const [[ra, rb]] = await readBack(file);
        const expected = (s: string) => (s === '' ? null : looksLikeFormula(s) ? `'${s}` : s);
        expect(ra).toBe(expected(a));
        expect(rb).toBe(expected(b));
      }),
      { numRuns: 60 },
    );
  });

  it('waits for a slow output to drain instead of buffering rows', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        inFlight += chunk.length;
        maxInFlight = Math.max(maxInFlight, inFlight);
        chunks.push(chunk);
        setImmediate(() => {
          inFlight -= chunk.length;
          cb();
        });
      },
    });
    const w = new CsvWriter(slow, { blockBytes: 4096 });
    for (let i = 0; i < 20_000; i++) await w.writeRow([i, `row ${i}`, '=1+1']);
    await w.end();
    expect(w.rows).toBe(20_000);
    expect(Buffer.concat(chunks).length).toBe(w.bytes);
    // never more than about one block waiting in the stream
    expect(maxInFlight).toBeLessThan(3 * 4096);
  });
});
