// The compression each evidence text column is given (src/case/evidence-schema.ts COLUMN_STORAGE): named
// columns exist and are text, and a real import stores them as named, with the same values.
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_KINDS } from '../../src/archive/kinds.ts';
import { DICTIONARY_COLUMNS, FSST_COLUMNS, KIND_TABLES, tableColumns } from '../../src/case/evidence-schema.ts';
import { importArchives } from '../../src/import/importer.ts';
import { EXAMPLE, newCase, removeTempDirs, rows } from './import-helpers.ts';

afterEach(removeTempDirs);

describe('evidence column storage', () => {
  it('names only text columns that some table has', () => {
    const text = new Set(
      RECORD_KINDS.flatMap((k) =>
        tableColumns(k)
          .filter((c) => c.sqlType === 'VARCHAR' || c.sqlType === 'JSON')
          .map((c) => c.name),
      ),
    );
    for (const name of [...FSST_COLUMNS, ...DICTIONARY_COLUMNS]) expect(text.has(name), name).toBe(true);
    expect(FSST_COLUMNS.filter((c) => DICTIONARY_COLUMNS.includes(c))).toEqual([]);
  });

  it('stores an imported column with the compression it names (or uncompressed, or constant)', async () => {
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [EXAMPLE])).status).toBe('done');
      await handle.duck.run('CHECKPOINT');
      for (const kind of RECORD_KINDS) {
        const table = KIND_TABLES[kind];
        const got = await rows(
          handle,
          `SELECT column_name, list(DISTINCT compression ORDER BY compression) AS methods FROM pragma_storage_info('${table}') WHERE segment_type <> 'VALIDITY' GROUP BY ALL`,
        );
        for (const r of got) {
          const name = String(r.column_name);
          const methods = (r.methods as string[]).filter((m) => m !== 'Constant' && m !== 'Uncompressed');
          if (FSST_COLUMNS.includes(name)) expect(methods, `${table}.${name}`).toEqual(methods.length ? ['FSST'] : []);
          if (DICTIONARY_COLUMNS.includes(name))
            expect(methods, `${table}.${name}`).toEqual(methods.length ? ['Dictionary'] : []);
        }
        expect(got.length).toBeGreaterThan(0);
      }
      // FSST used somewhere: the hints reached the tables.
      const used = await rows(
        handle,
        `SELECT count(*) AS n FROM pragma_storage_info('decisions') WHERE column_name = 'decision_id' AND compression = 'FSST'`,
      );
      expect(used[0].n).toBeGreaterThan(0);
    } finally {
      await handle.close();
    }
  });
});
