/**
 * RFC 4180 CSV, streamed. Rows are encoded as they arrive and handed to the output in blocks, waiting
 * for the output to drain, so an export of any length holds one block in memory, never the rows.
 *
 * Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula (and some treat a
 * leading tab or carriage return the same way), so a value from an archive such as `=HYPERLINK("x")`
 * could act when an auditor opens the file. Such a text cell gets a leading apostrophe and is quoted,
 * which every spreadsheet shows as text (OWASP "CSV injection"). Numbers are written as numbers: a
 * negative number is data, not a formula.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export type CsvValue = string | number | bigint | boolean | null | undefined | Date | object;

/** Characters that make a spreadsheet read a cell as a formula when they come first. */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);
const NEEDS_QUOTES = /[",\r\n]/;

/** True when a text cell would be read as a formula and so gets escaped. */
export function looksLikeFormula(text: string): boolean {
  return text.length > 0 && FORMULA_START.has(text[0]);
}

/** The text a value stands for in a cell: JSON for objects, ISO 8601 for dates, empty for null. */
export function cellText(value: CsvValue): { text: string; isText: boolean } {
  if (value === null || value === undefined) return { text: '', isText: false };
  if (typeof value === 'number') return { text: Number.isFinite(value) ? String(value) : '', isText: false };
  if (typeof value === 'bigint') return { text: value.toString(), isText: false };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false', isText: false };
  if (typeof value === 'string') return { text: value, isText: true };
  if (value instanceof Date) return { text: value.toISOString(), isText: false };
  return { text: JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), isText: true };
}

/** One encoded field: formula-escaped when it is text that starts like a formula, quoted when RFC 4180 needs it. */
export function csvField(value: CsvValue): string {
  const { text, isText } = cellText(value);
  if (isText && looksLikeFormula(text)) return `"'${text.replace(/"/g, '""')}"`;
  if (NEEDS_QUOTES.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** One record line with its CRLF terminator (RFC 4180 section 2). */
export function csvLine(values: readonly CsvValue[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += csvField(values[i]);
  }
  return `${out}\r\n`;
}

export interface CsvWriterOptions {
  /** Start with a UTF-8 byte order mark, which older Excel versions need to read UTF-8 (default off). */
  bom?: boolean;
  /** Bytes gathered before they are written (default 256 KiB). */
  blockBytes?: number;
  /** Sees every block as it is written, e.g. to hash the file on the way out. */
  onBlock?: (block: Buffer) => void;
}

/**
 * Writes CSV lines to a stream. `writeRow` resolves once the row is buffered, waiting for the stream
 * to drain when a block was refused, which is what keeps memory flat however many rows follow.
 */
export class CsvWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly blockChars: number;
  rows = 0;
  bytes = 0;

  constructor(
    private readonly out: Writable,
    private readonly options: CsvWriterOptions = {},
  ) {
    this.blockChars = options.blockBytes ?? 256 * 1024;
    if (options.bom) this.push('\uFEFF');
  }

  private push(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
  }

  async writeHeader(columns: readonly string[]): Promise<void> {
    await this.writeLine(csvLine(columns));
  }

  async writeRow(values: readonly CsvValue[]): Promise<void> {
    this.rows++;
    await this.writeLine(csvLine(values));
  }

  private async writeLine(line: string): Promise<void> {
    this.push(line);
    if (this.pendingChars >= this.blockChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const block = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    this.bytes += block.length;
    this.options.onBlock?.(block);
    if (!this.out.write(block)) await once(this.out, 'drain');
  }

  /** Flushes and ends the stream; resolves when the data is handed to the operating system. */
  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }
}
