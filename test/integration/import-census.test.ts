// The key census of a JSONL batch on the fast path: which member names its records use (for the
// columns, the dialect, the members kept in `extra`, a name written twice) and which records are
// suspects. It is taken in the same pass as the line index, over one line per distinct member-name list
// read from the case's copy; with more lists than MAX_KEY_LISTS it is taken over every line. Both ways
// must give each record the same columns, extra, dialect and verdict.
import { afterEach, describe, expect, it } from 'vitest';
import { importArchives } from '../../src/import/importer.ts';
import { MAX_KEY_LISTS } from '../../src/import/loader.ts';
import { decisionLine, newCase, removeTempDirs, rows, writeDecisionDir } from './import-helpers.ts';

afterEach(removeTempDirs);

const writeDecisionFiles = (files: Record<string, string[]>): string => writeDecisionDir(files, 'census-');

async function importDir(dir: string) {
  const { handle } = await newCase();
  try {
    const result = await importArchives(handle, [dir]);
    const got = await rows(
      handle,
      `SELECT source_file, line, decision_id, model_id, extra::VARCHAR AS extra, dialect FROM decisions ORDER BY source_file, line`,
    );
    // The census tables are temporary: nothing of them is left in the case.
    expect(await rows(handle, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%census%'")).toEqual([]);
    return { result, got };
  } finally {
    await handle.close();
  }
}

const snake = (id: string): string =>
  `{"decision_id":"${id}","model_id":"m","prediction":"approve","confidence":0.5,"timestamp":"2026-03-01T00:00:00Z"}`;

describe('key census', () => {
  it('finds every member-name list of a batch across its files: extras, dialects, a name written twice, suspects', async () => {
    const dir = writeDecisionFiles({
      '2026-03-01.jsonl': [decisionLine('a1'), decisionLine('a2'), decisionLine('a3', ',"note":"x"')],
      '2026-03-02.jsonl': [
        decisionLine('b1'),
        snake('b2'),
        decisionLine('b3', ',"scores":[1,2]'),
        decisionLine('b4').replace('0.5', 'NaN'),
        '{"decisionId":"b5","decisionId":"b6","modelId":"m"}',
        '{"decisionId":"b7", "modelId":',
        decisionLine('b8', ',"note":"y"'),
      ],
    });
    const { result, got } = await importDir(dir);
    expect(result.status).toBe('done');
    expect(got).toEqual([
      {
        source_file: 'decisions/2026-03-01.jsonl',
        line: 1,
        decision_id: 'a1',
        model_id: 'm',
        extra: null,
        dialect: 'camelCase',
      },
      {
        source_file: 'decisions/2026-03-01.jsonl',
        line: 2,
        decision_id: 'a2',
        model_id: 'm',
        extra: null,
        dialect: 'camelCase',
      },
      {
        source_file: 'decisions/2026-03-01.jsonl',
        line: 3,
        decision_id: 'a3',
        model_id: 'm',
        extra: '{"note":"x"}',
        dialect: 'camelCase',
      },
      {
        source_file: 'decisions/2026-03-02.jsonl',
        line: 1,
        decision_id: 'b1',
        model_id: 'm',
        extra: null,
        dialect: 'camelCase',
      },
      {
        source_file: 'decisions/2026-03-02.jsonl',
        line: 2,
        decision_id: 'b2',
        model_id: 'm',
        extra: null,
        dialect: 'snake_case',
      },
      {
        source_file: 'decisions/2026-03-02.jsonl',
        line: 3,
        decision_id: 'b3',
        model_id: 'm',
        extra: '{"scores":[1,2]}',
        dialect: 'camelCase',
      },
      {
        source_file: 'decisions/2026-03-02.jsonl',
        line: 7,
        decision_id: 'b8',
        model_id: 'm',
        extra: '{"note":"y"}',
        dialect: 'camelCase',
      },
    ]);
    expect(result.rejects.map((r) => [r.file, r.line, r.reason])).toEqual([
      ['decisions/2026-03-02.jsonl', 4, 'not valid JSON (NaN, Infinity or a trailing comma)'],
      ['decisions/2026-03-02.jsonl', 5, 'a member name appears twice: decisionId'],
      ['decisions/2026-03-02.jsonl', 6, 'not valid JSON'],
    ]);
  });

  it(`is taken over every line when a batch has more than ${MAX_KEY_LISTS} member-name lists`, async () => {
    const n = MAX_KEY_LISTS + 5;
    const lines = Array.from({ length: n }, (_, i) => decisionLine(`d${i}`, `,"x${i}":${i}`));
    lines.push(snake('s'), '{"decisionId":"dup","decisionId":"dup2"}');
    const dir = writeDecisionFiles({ '2026-03-01.jsonl': lines });
    const { result, got } = await importDir(dir);
    expect(result.status).toBe('done');
    expect(got).toHaveLength(n + 1);
    got.slice(0, n).forEach((r, i) => {
      expect(r).toEqual({
        source_file: 'decisions/2026-03-01.jsonl',
        line: i + 1,
        decision_id: `d${i}`,
        model_id: 'm',
        extra: `{"x${i}":${i}}`,
        dialect: 'camelCase',
      });
    });
    expect(got[n]).toMatchObject({ line: n + 1, decision_id: 's', extra: null, dialect: 'snake_case' });
    expect(result.rejects.map((r) => [r.line, r.reason])).toEqual([[n + 2, 'a member name appears twice: decisionId']]);
  });

  it("keeps unknown members as written, in each record's order, whether read in the same parse or parsed again", async () => {
    const records = [
      decisionLine('r1', ',"x":1,"y":{"z":[1,2.50,"a\\"b"]}'),
      decisionLine('r2', ',"y":null,"x":"t"'),
      decisionLine('r3', ',"big":1.0e2,"x":true'),
      decisionLine('r4'),
    ];
    const expected = [
      { decision_id: 'r1', extra: '{"x":1,"y":{"z":[1,2.5,"a\\"b"]}}' },
      { decision_id: 'r2', extra: '{"y":null,"x":"t"}' },
      { decision_id: 'r3', extra: '{"big":100.0,"x":true}' },
      { decision_id: 'r4', extra: null },
    ];
    const same = await importDir(writeDecisionFiles({ '2026-03-01.jsonl': records }));
    expect(same.got.map((r) => ({ decision_id: r.decision_id, extra: r.extra }))).toEqual(expected);
    // Two names DuckDB's struct would take for one: the batch's extras are parsed again, as a map.
    const again = await importDir(
      writeDecisionFiles({ '2026-03-01.jsonl': [...records, decisionLine('r5', ',"Case":1,"case":2')] }),
    );
    expect(again.got.map((r) => ({ decision_id: r.decision_id, extra: r.extra }))).toEqual([
      ...expected,
      { decision_id: 'r5', extra: '{"Case":1,"case":2}' },
    ]);
  });
});
