/**
 * Group-like members of inputFeatures and contextData, extracted once so that fairness does not parse
 * ten million JSON objects per question (about 2.5 s of CPU here; the rest of a fairness pass is a
 * fraction of that).
 *
 * When the lookup tables are built, the top-level members of each JSON column with at most
 * MAX_DISTINCT values in a sample are found, and one table per column is written holding, row for row
 * in the decisions table's own order, the decision's rowid and each such member's JSON text. Fairness
 * reads it beside the decisions with a POSITIONAL JOIN (no join work), and checks on every row that
 * the rowids agree: if they ever did not, it says so and parses the JSON instead. Like every lookup
 * table it is used only while the decisions table has the row count it was built from.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { KIND_TABLES } from '../case/evidence-schema.ts';
import { queryRows } from './db.ts';

/** JSON columns of decisions whose members are candidates, by the attribute prefix users write. */
export const ATTRIBUTE_ROOTS: Record<string, string> = { inputFeatures: 'input_features', contextData: 'context_data' };

export const ATTRIBUTE_MEMBERS = 'lookup_attribute_members';
const MAX_DISTINCT = 1000;
const SAMPLE_ROWS = 100_000;
const MAX_MEMBERS = 64;

export function attributeTable(column: string): string {
  return `lookup_attributes_${column}`;
}

/** JSON path of a top-level member, as fairness writes it (a bound parameter there, a literal here). */
export function memberPath(member: string): string {
  return `$."${member.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Builds the member tables; returns their names for lookup_meta. Runs inside buildLookups'
 * transaction with insertion order preserved (the tables must follow the decisions' order).
 */
export async function buildAttributeTables(duck: DuckDBConnection): Promise<string[]> {
  const D = KIND_TABLES.decision;
  await duck.run(
    `CREATE OR REPLACE TABLE ${ATTRIBUTE_MEMBERS} (root VARCHAR, member VARCHAR, col VARCHAR, tbl VARCHAR)`,
  );
  const built: string[] = [];
  for (const [root, column] of Object.entries(ATTRIBUTE_ROOTS)) {
    // members whose values look like groups in a sample: scalars with few distinct values
    const members = await queryRows(
      duck,
      `WITH s AS (SELECT ${column} AS j FROM ${D} WHERE ${column} IS NOT NULL LIMIT ${SAMPLE_ROWS}),
        kv AS (SELECT k, json_extract(j, '$."' || replace(replace(k, '\\', '\\\\'), '"', '\\"') || '"')::VARCHAR AS v FROM s, unnest(json_keys(j)) t(k))
      SELECT k FROM kv WHERE NOT (left(v, 1) IN ('{', '[')) GROUP BY k HAVING count(DISTINCT v) <= ${MAX_DISTINCT}
      ORDER BY count(*) DESC, k LIMIT ${MAX_MEMBERS}`,
    );
    const table = attributeTable(column);
    if (members.length === 0) {
      await duck.run(`DROP TABLE IF EXISTS ${table}`);
      continue;
    }
    const names = members.map((m) => String(m.k));
    // one parse per row for all members (a list of paths), in the table's own order
    const cols = names.map((_, i) => `v[${i + 1}]::VARCHAR AS m${i}`).join(', ');
    await duck.run(
      `CREATE OR REPLACE TABLE ${table} AS SELECT rid, ${cols} FROM (
        SELECT rowid AS rid, json_extract(${column}, [${names.map((n) => sqlString(memberPath(n))).join(', ')}]) AS v FROM ${D}
      )`,
    );
    for (const [i, n] of names.entries()) {
      await duck.run(`INSERT INTO ${ATTRIBUTE_MEMBERS} VALUES ($root, $member, $col, $tbl)`, {
        root,
        member: n,
        col: `m${i}`,
        tbl: table,
      });
    }
    built.push(table);
  }
  return built;
}

/** Where an attribute's values are kept, when they are and the table is fresh. */
export async function cachedAttribute(
  duck: DuckDBConnection,
  fresh: ReadonlySet<string>,
  root: string,
  member: string,
): Promise<{ table: string; column: string } | undefined> {
  if (!fresh.has(ATTRIBUTE_MEMBERS)) return undefined;
  const rows = await queryRows(
    duck,
    `SELECT col, tbl FROM ${ATTRIBUTE_MEMBERS} WHERE root = $root AND member = $member`,
    { root, member },
    { prepared: true },
  );
  if (rows.length === 0 || !fresh.has(String(rows[0].tbl))) return undefined;
  return { table: String(rows[0].tbl), column: String(rows[0].col) };
}
