// Line numbers of JSONL records loaded on the fast path. DuckDB parses the lines unnumbered, on all its
// threads, and each line gets its number from the batch's line index (file, hash of the text); when two
// lines of a file share a hash the index cannot tell them apart and the load reads the numbered lines.
// Either way every record must carry the line the archive reader gives it.
import { afterEach, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import { isRecordError, readRecords } from '../../src/archive/records.ts';
import { importArchives } from '../../src/import/importer.ts';
import { decisionLine, newCase, removeTempDirs, rows, rowsWithRaw, writeDecisionDir } from './import-helpers.ts';

afterEach(removeTempDirs);

/** [file, line, text] of every record as the archive reader reads them. */
async function readerLines(dir: string): Promise<[string, number, string][]> {
  const archive = await openArchive(dir);
  const out: [string, number, string][] = [];
  try {
    for (const file of archive.files.filter((f) => f.role === 'data'))
      for await (const r of readRecords(archive, file)) {
        if (isRecordError(r)) throw new Error(`${file.path}:${r.line}: ${r.message}`);
        out.push([file.path, r.line as number, r.text as string]);
      }
  } finally {
    await archive.close();
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

async function importedLines(dir: string): Promise<[string, number, string][]> {
  const { handle } = await newCase();
  try {
    const result = await importArchives(handle, [dir]);
    expect(result.status).toBe('done');
    // Nothing is rejected (a decisionId seen twice is only noted), so every record is compared.
    const got = await rowsWithRaw(
      handle,
      'SELECT source_file, source_file_id, line, row FROM decisions ORDER BY source_file, line',
    );
    // The line index is a temporary table: nothing of it is left in the case.
    expect(await rows(handle, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%census%'")).toEqual([]);
    return got.map((r) => [String(r.source_file), Number(r.line), String(r.raw)]);
  } finally {
    await handle.close();
  }
}

const writeFiles = (files: Record<string, string[]>): string => writeDecisionDir(files, 'line-numbers-');

describe('line numbers of JSONL records on the fast path', () => {
  it('are those the reader gives, across files, blank lines and records the careful pass loads', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => decisionLine(`m${i}`, `,"seq":${i}`));
    const dir = writeFiles({
      'a.jsonl': [
        '',
        decisionLine('a1'),
        '   ',
        '\t',
        decisionLine('a2'),
        // Valid JSON the census sends to the careful pass (it looks like a NaN), between fast lines.
        decisionLine('a3', ',"note":"NaN, Infinity ,}"'),
        '',
        decisionLine('a4'),
      ],
      'b.jsonl': many,
      'c.jsonl': ['', '', decisionLine('c1'), decisionLine('c2', ',"note":"x"')],
    });
    const expected = await readerLines(dir);
    expect(expected).toHaveLength(4 + 3000 + 2);
    expect(await importedLines(dir)).toEqual(expected);
  });

  it('are right when a file holds the same line twice (the index cannot number them)', async () => {
    const dir = writeFiles({
      'a.jsonl': [decisionLine('a1'), '', decisionLine('a2'), decisionLine('a1'), decisionLine('a3')],
      'b.jsonl': [decisionLine('a1'), decisionLine('b1')],
    });
    const expected = await readerLines(dir);
    expect(expected.map((e) => e[1])).toEqual([1, 3, 4, 5, 1, 2]);
    expect(await importedLines(dir)).toEqual(expected);
  });
});
