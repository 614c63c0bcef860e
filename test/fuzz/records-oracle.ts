/**
 * The independent side of the JSONL and .jsonl.gz properties: what readRecords must yield for some
 * bytes, from a plain split on \n done here, and helpers that read a data file through the real reader.
 */
import { isUtf8 } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import { openArchive } from '../../src/archive/open.ts';
import { isRecordError, readRecords } from '../../src/archive/records.ts';
import type { RawRecord, RecordError } from '../../src/archive/records.ts';

export interface ExpectedLine {
  line: number;
  /** the decoded line (absent when it is not UTF-8) */
  text?: string;
  utf8: boolean;
}

/** The non-blank lines of some bytes with their 1-based numbers: \r\n and a leading BOM removed. */
export function expectedLines(bytes: Buffer): ExpectedLine[] {
  const out: ExpectedLine[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    let seg = bytes.subarray(start, end);
    line++;
    start = end + 1;
    if (seg.length > 0 && seg[seg.length - 1] === 0x0d) seg = seg.subarray(0, seg.length - 1);
    if (line === 1 && seg[0] === 0xef && seg[1] === 0xbb && seg[2] === 0xbf) seg = seg.subarray(3);
    if (!isUtf8(seg)) {
      out.push({ line, utf8: false });
      continue;
    }
    const text = seg.toString('utf8');
    if (/^[ \t]*$/.test(text)) continue;
    out.push({ line, text, utf8: true });
  }
  return out;
}

/**
 * Checks that `items` (readRecords in 'yield' mode) match `expected` one for one: same line numbers,
 * the exact text and JSON.parse's value for records, and errors only where a line is not UTF-8, not
 * JSON, not an object, or holds a duplicate name or nesting past the limit. Returns the first error.
 */
export function checkAgainstLines(
  items: readonly (RawRecord | RecordError)[],
  expected: readonly ExpectedLine[],
  name: string,
): RecordError | undefined {
  if (items.length !== expected.length) throw new Error(`${items.length} items for ${expected.length} non-blank lines`);
  let firstError: RecordError | undefined;
  items.forEach((item, i) => {
    const e = expected[i];
    if (item.line !== e.line) throw new Error(`item ${i} has line ${item.line}, expected ${e.line}`);
    if (item.file !== name) throw new Error(`item names file ${item.file}`);
    if (isRecordError(item)) {
      firstError ??= item;
      if (!item.message) throw new Error(`line ${e.line}: error without a message`);
      if (!e.utf8) return;
      let ref: unknown;
      try {
        ref = JSON.parse(e.text as string);
      } catch {
        return;
      }
      // A line JSON.parse reads as an object may only be refused for a duplicate name or its depth.
      if (ref !== null && typeof ref === 'object' && !Array.isArray(ref) && !/duplicate|nested/.test(item.message))
        throw new Error(`line ${e.line} refused: ${item.message}`);
      return;
    }
    if (!e.utf8) throw new Error(`line ${e.line} is not UTF-8 but was read`);
    if (item.text !== e.text) throw new Error(`line ${e.line}: text differs from the bytes`);
    if (!isDeepStrictEqual(item.value, JSON.parse(e.text as string))) throw new Error(`line ${e.line}: value differs`);
  });
  return firstError;
}

/** Every item readRecords yields ('yield' mode) for the data file `name` of the archive at `path`. */
export async function collect(path: string, name: string): Promise<(RawRecord | RecordError)[]> {
  const archive = await openArchive(path);
  try {
    const file = archive.files.find((f) => f.path === name);
    if (!file) throw new Error(`${name} not in the opened archive`);
    const items: (RawRecord | RecordError)[] = [];
    for await (const r of readRecords(archive, file, { onError: 'yield' })) items.push(r);
    return items;
  } finally {
    await archive.close();
  }
}

/** What readRecords throws in 'throw' mode (undefined when it reads the file to its end). */
export async function firstThrown(path: string, name: string): Promise<unknown> {
  const archive = await openArchive(path);
  try {
    const file = archive.files.find((f) => f.path === name);
    if (!file) throw new Error(`${name} not in the opened archive`);
    for await (const r of readRecords(archive, file)) void r;
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await archive.close();
  }
}
