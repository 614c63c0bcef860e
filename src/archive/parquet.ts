/**
 * Reads Parquet data files through DuckDB, one chunk (about 2,048 rows) at a time, and turns each row
 * into the JSON object the producer hashed (spec section 6). Types that cannot reproduce a JSON value
 * exactly (TIMESTAMP, DECIMAL, integers beyond 2^53, ...) still give a value for display, and the row is
 * marked unverifiable with the reason, so a type choice is never mistaken for tampering.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTypeId,
} from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { AuditWsError } from '../errors.ts';
import { MAX_JSON_DEPTH, parseStrictJson } from './jsontext.ts';

export interface ParquetRow {
  /** 1-based row number in the file. */
  row: number;
  value?: Record<string, unknown>;
  unverifiable?: string;
  /** Set instead of value when the row cannot be turned into JSON (e.g. a JSON column holding bad text). */
  error?: string;
}

let instance: Promise<DuckDBInstance> | undefined;

/**
 * One in-memory DuckDB for Parquet reading, shared by every read in the process. DuckDB's external file
 * cache is off: it kept about 200 KB per distinct file read, so a long-lived process reading thousands
 * of files grew without bound (found by the fuzzer), and a reader that reads each file once per pass
 * gains nothing from it.
 */
function duckdb(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:', { threads: '2', enable_external_file_cache: 'false' });
  return instance;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const bigIntReason = (member: string): string =>
  `member "${member}" holds an integer beyond 2^53-1, which JSON numbers cannot carry exactly`;

const INTEGER_64 = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);
const EXACT_AS_RENDERED = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.ENUM,
]);

/**
 * Fast path: the value DuckDB's to_json rendered for a member, already parsed, checked against the
 * member's type. Drops null members like toJson does and records the same reasons; a JSON column's
 * content is kept as rendered (to_json embeds it as JSON, not as a string).
 */
function fromRendered(value: unknown, type: DuckDBType, member: string, why: string[]): unknown {
  if (value === null) return null;
  if (EXACT_AS_RENDERED.has(type.typeId)) return value;
  if (INTEGER_64.has(type.typeId)) {
    // JSON.parse rounds an integer beyond 2^53-1 to a double of magnitude >= 2^53, so it shows here.
    if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER) why.push(bigIntReason(member));
    return value;
  }
  switch (type.typeId) {
    case DuckDBTypeId.STRUCT: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.STRUCT }>;
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      t.entryNames.forEach((name, i) => {
        const v = fromRendered(obj[name] ?? null, t.entryTypes[i], `${member}.${name}`, why);
        if (v !== null) out[name] = v;
      });
      return out;
    }
    case DuckDBTypeId.MAP: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.MAP }>;
      const out: Record<string, unknown> = {};
      if (!isPlainStringKeyed(t.keyType))
        why.push(
          `member "${member}" is a MAP with ${t.keyType.toString()} keys, which JSON names cannot carry exactly`,
        );
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const jv = fromRendered(v, t.valueType, `${member}.${k}`, why);
        if (jv !== null) out[k] = jv;
      }
      return out;
    }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.LIST | DuckDBTypeId.ARRAY }>;
      return (value as unknown[]).map((item, i) => fromRendered(item, t.valueType, `${member}[${i}]`, why));
    }
    case DuckDBTypeId.FLOAT:
      why.push(`member "${member}" is stored as FLOAT (32-bit), which cannot reproduce its JSON value`);
      return value;
    default:
      why.push(`member "${member}" is stored as ${type.toString()}, which cannot reproduce its JSON value`);
      return value;
  }
}

function isPlainStringKeyed(t: DuckDBType): boolean {
  return t.typeId === DuckDBTypeId.VARCHAR && t.alias?.toUpperCase() !== 'JSON';
}

/**
 * The reader's conversion of one Parquet value to JSON, for the import's checks: it throws where the
 * reader would (a JSON value holding text that is not JSON, or nested too deep), with the reader's words.
 */
export function parquetValueToJson(value: DuckDBValue, type: DuckDBType, member: string): unknown {
  return toJson(value, type, member, []);
}

/** Converts a DuckDB value to JSON, collecting why it cannot be reproduced exactly (if so) in `why`. */
function toJson(value: DuckDBValue, type: DuckDBType, member: string, why: string[]): unknown {
  if (value === null) return null;
  const cannot = (typeName: string): void => {
    why.push(`member "${member}" is stored as ${typeName}, which cannot reproduce its JSON value`);
  };
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return value;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const big = value as bigint;
      if (big > MAX_SAFE || big < -MAX_SAFE) {
        why.push(bigIntReason(member));
      }
      // Number() rounds like JSON.parse would, so a reader of the JSON sees the same value.
      return Number(big);
    }
    case DuckDBTypeId.DOUBLE: {
      const d = value as number;
      if (!Number.isFinite(d)) {
        why.push(`member "${member}" is ${d}, which JSON cannot hold`);
        return String(d);
      }
      return d;
    }
    case DuckDBTypeId.FLOAT:
      // A 32-bit float widens to a different double (0.1f is 0.10000000149011612).
      cannot('FLOAT (32-bit)');
      return value;
    case DuckDBTypeId.VARCHAR: {
      if (type.alias?.toUpperCase() !== 'JSON') return value;
      const parsed = parseStrictJson(value as string);
      if (!parsed.ok)
        throw new Error(`member "${member}" is a JSON column holding text that is not valid JSON: ${parsed.message}`);
      return parsed.value;
    }
    case DuckDBTypeId.ENUM:
      return String(value);
    case DuckDBTypeId.DECIMAL:
      cannot(type.toString());
      return (value as DuckDBDecimalValue).toDouble();
    case DuckDBTypeId.BLOB:
      cannot('BLOB');
      return Buffer.from((value as DuckDBBlobValue).bytes).toString('base64');
    case DuckDBTypeId.STRUCT: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.STRUCT }>;
      const entries = (value as DuckDBStructValue).entries;
      const out: Record<string, unknown> = {};
      t.entryNames.forEach((name, i) => {
        const v = toJson(entries[name] ?? null, t.entryTypes[i], `${member}.${name}`, why);
        if (v !== null) out[name] = v; // a null member is an absent member
      });
      return out;
    }
    case DuckDBTypeId.MAP: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.MAP }>;
      const out: Record<string, unknown> = {};
      if (!isPlainStringKeyed(t.keyType))
        why.push(
          `member "${member}" is a MAP with ${t.keyType.toString()} keys, which JSON names cannot carry exactly`,
        );
      for (const { key, value: v } of (value as DuckDBMapValue).entries) {
        const k = String(toJson(key, t.keyType, `${member}(key)`, why));
        const jv = toJson(v, t.valueType, `${member}.${k}`, why);
        if (jv !== null) out[k] = jv;
      }
      return out;
    }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const t = type as Extract<DuckDBType, { typeId: DuckDBTypeId.LIST | DuckDBTypeId.ARRAY }>;
      const items = (value as DuckDBListValue | DuckDBArrayValue).items;
      // Array elements are data: a null element stays null.
      return items.map((item, i) => toJson(item, t.valueType, `${member}[${i}]`, why));
    }
    default:
      // TIMESTAMP*, DATE, TIME*, INTERVAL, UUID, UNION, BIT, ...: shown as DuckDB prints them.
      cannot(type.toString());
      return String(value);
  }
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Yields the rows of one Parquet file in order. Read failures throw UNREADABLE_INPUT naming the file;
 * a row that cannot be converted is yielded with `error` so the caller decides whether to stop.
 */
export async function* readParquetRows(
  absPath: string,
  displayName: string,
  maxRows?: number,
): AsyncGenerator<ParquetRow> {
  let linkDir: string | undefined;
  let path = absPath;
  // DuckDB expands glob characters in file names; read such a file through a plainly named link.
  if (/[*?[\]{}]/.test(absPath)) {
    linkDir = await mkdtemp(join(tmpdir(), 'audit-ws-parquet-'));
    path = join(linkDir, 'data.parquet');
    await symlink(absPath, path);
  }
  const connection = await (await duckdb()).connect();
  let row = 0;
  try {
    let result;
    let tooDeep: string | undefined;
    try {
      tooDeep = await parquetTooDeep(connection, path);
    } catch (err) {
      throw unreadableParquet(displayName, path, err, undefined);
    }
    if (tooDeep)
      throw new AuditWsError('UNREADABLE_INPUT', `${displayName}: not a readable Parquet file (${tooDeep})`, {
        file: displayName,
      });
    try {
      // Insertion order is preserved by default, so the n-th row read is the n-th row of the file.
      // DuckDB renders each row as JSON text (much faster than fetching values one by one into JS);
      // the columns themselves are fetched only for a chunk holding a row that text cannot express.
      const limit = maxRows !== undefined ? ` LIMIT ${Math.max(0, Math.floor(maxRows))}` : '';
      result = await connection.stream(
        `SELECT to_json(t)::VARCHAR, t.* FROM read_parquet(${sqlString(path)}) t${limit}`,
      );
    } catch (err) {
      throw unreadableParquet(displayName, path, err, undefined);
    }
    const names = result.columnNames().slice(1);
    const types = result.columnTypes().slice(1);
    for (;;) {
      let chunk;
      try {
        chunk = await result.fetchChunk();
      } catch (err) {
        throw unreadableParquet(displayName, path, err, row > 0 ? row : undefined);
      }
      if (!chunk || chunk.rowCount === 0) break;
      const rendered = chunk.getColumnValues(0) as string[];
      let columns: DuckDBValue[][] | undefined;
      for (let r = 0; r < chunk.rowCount; r++) {
        row++;
        const why: string[] = [];
        const value: Record<string, unknown> = {};
        const parsed = parseStrictJson(rendered[r]);
        try {
          if (parsed.ok && parsed.value !== null && typeof parsed.value === 'object') {
            const obj = parsed.value as Record<string, unknown>;
            for (let c = 0; c < names.length; c++) {
              const v = fromRendered(obj[names[c]] ?? null, types[c], names[c], why);
              if (v !== null) value[names[c]] = v;
            }
          } else {
            // NaN / Infinity, or a JSON column holding text that is not JSON: convert value by value.
            columns ??= names.map((_, c) => chunk.getColumnValues(c + 1));
            for (let c = 0; c < names.length; c++) {
              const v = toJson(columns[c][r], types[c], names[c], why);
              if (v !== null) value[names[c]] = v;
            }
          }
        } catch (err) {
          yield { row, error: err instanceof Error ? err.message : String(err) };
          continue;
        }
        yield why.length > 0 ? { row, value, unverifiable: why.join('; ') } : { row, value };
      }
    }
  } finally {
    connection.closeSync();
    if (linkDir) await rm(linkDir, { recursive: true, force: true });
  }
}

/**
 * The deepest a Parquet schema may nest (elements below the root on one path). DuckDB keeps definition
 * levels in a byte: a deeper schema fails inside DuckDB with an internal error that invalidates the whole
 * database (the case, or the reader's instance) until restarted. It is also the reader's limit for JSON,
 * MAX_JSON_DEPTH levels for a record (the record, then at most 255 levels inside it).
 */
export const MAX_PARQUET_SCHEMA_DEPTH = 255;

/**
 * Depth of a Parquet file's schema, read with `parquet_schema` (the footer only: it does not make DuckDB
 * build column readers, which is what fails on a schema too deep). Throws what DuckDB throws for a file
 * it cannot read.
 */
export async function parquetSchemaDepth(connection: DuckDBConnection, path: string): Promise<number> {
  const rows = (
    await connection.runAndReadAll(`SELECT coalesce(num_children, 0)::BIGINT FROM parquet_schema(${sqlString(path)})`)
  ).getRowsJS();
  // Elements come depth first, each with its number of children: a stack of children still to come.
  const pending: number[] = [];
  let deepest = 0;
  for (const [children] of rows) {
    while (pending.length > 0 && pending[pending.length - 1] === 0) pending.pop();
    if (pending.length > 0) pending[pending.length - 1]--;
    const depth = pending.length; // the root is at depth 0
    if (depth > deepest) deepest = depth;
    if (Number(children) > 0) pending.push(Number(children));
  }
  return deepest;
}

/** Why a Parquet file cannot be read, when its schema nests too deep; else undefined. */
export async function parquetTooDeep(connection: DuckDBConnection, path: string): Promise<string | undefined> {
  const depth = await parquetSchemaDepth(connection, path);
  return depth > MAX_PARQUET_SCHEMA_DEPTH
    ? `its schema nests ${depth} levels deep, more than the ${MAX_PARQUET_SCHEMA_DEPTH} that can be read: a record may nest at most ${MAX_JSON_DEPTH} levels`
    : undefined;
}

function unreadableParquet(
  displayName: string,
  path: string,
  err: unknown,
  afterRow: number | undefined,
): AuditWsError {
  // DuckDB names the file by its path on disk; the archive path is what the reader knows it by.
  const why = (err instanceof Error ? err.message.split('\n')[0] : String(err)).split(path).join(displayName);
  const where = afterRow === undefined ? '' : ` after row ${afterRow}`;
  return new AuditWsError(
    'UNREADABLE_INPUT',
    `${displayName}: not a readable Parquet file${where} (${why})`,
    {
      file: displayName,
      row: afterRow,
    },
    { cause: err },
  );
}
