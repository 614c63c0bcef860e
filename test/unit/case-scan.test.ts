import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fastPathVerdict, scanFile } from '../../src/import/scan.ts';

const dirs: string[] = [];
function file(name: string, content: Buffer | string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'case-scan-'));
  dirs.push(d);
  const p = path.join(d, name);
  fs.writeFileSync(p, content);
  return p;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const scan = (p: string, format = 'jsonl') => scanFile(p, { format, displayName: path.basename(p) });

describe('scanFile', () => {
  it('hashes the bytes and counts lines, blank lines counted, a last line without \\n too', async () => {
    const text = '{"a":1}\n\n  \t\n{"a":2}\n{"a":3}';
    const p = file('x.jsonl', text);
    const r = await scan(p);
    expect(r.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(r.size).toBe(Buffer.byteLength(text));
    expect(r.facts).toMatchObject({
      lines: 5,
      blankLines: 2,
      lfEnds: 4,
      crlfEnds: 0,
      strayCr: 0,
      utf8: true,
      bom: false,
    });
    expect(fastPathVerdict(r.facts!)).toEqual({ ok: true, newLine: '\\n' });
  });

  it('sends CRLF files to DuckDB as \\r\\n, mixed line ends and a stray \\r to the exact path', async () => {
    const crlf = await scan(file('a.jsonl', '{"a":1}\r\n\r\n{"a":2}\r\n'));
    expect(crlf.facts).toMatchObject({ lines: 3, blankLines: 1, crlfEnds: 3, lfEnds: 0 });
    expect(fastPathVerdict(crlf.facts!)).toEqual({ ok: true, newLine: '\\r\\n' });
    const mixed = await scan(file('b.jsonl', '{"a":1}\r\n{"a":2}\n'));
    expect(fastPathVerdict(mixed.facts!)).toMatchObject({ ok: false });
    const stray = await scan(file('c.jsonl', '{"a":\r1}\n'));
    expect(stray.facts!.strayCr).toBe(1);
    expect(fastPathVerdict(stray.facts!)).toMatchObject({ ok: false });
  });

  it('finds bytes the CSV reader would mangle, invalid UTF-8 and a byte order mark', async () => {
    expect(fastPathVerdict((await scan(file('a.jsonl', '{"a":"x\u001fy"}\n'))).facts!)).toMatchObject({ ok: false });
    const bad = await scan(file('b.jsonl', Buffer.from([0x7b, 0x7d, 0x0a, 0xff, 0x0a])));
    expect(bad.facts!.utf8).toBe(false);
    const bom = await scan(file('c.jsonl', '\ufeff{"a":1}\n'));
    expect(bom.facts!.bom).toBe(true);
    expect(fastPathVerdict(bom.facts!)).toMatchObject({ ok: false });
  });

  it('keeps a multi-byte character that straddles two read chunks valid', async () => {
    // 1 MiB chunks: put a 3-byte character across the boundary.
    const prefix = 'x'.repeat(1024 * 1024 - 1);
    const p = file('a.jsonl', `{"a":"${prefix}€"}\n`);
    const r = await scan(p);
    expect(r.facts!.utf8).toBe(true);
    expect(r.facts!.longestLineBytes).toBe(Buffer.byteLength(`{"a":"${prefix}€"}`));
  });

  it('notes whether a file holds a text the lenient parser reads (NaN, Infinity, a trailing comma), also across chunks', async () => {
    expect((await scan(file('clean.jsonl', '{"a":1.5,"b":[1,2]}\n{"c":"Nan, infinity"}\n'))).facts!.lenientTokens).toBe(
      false,
    );
    for (const token of ['NaN', 'Infinity', ',}', ',]', ', }', ', ]'])
      expect((await scan(file('t.jsonl', `{"a":1}\n{"b":"x${token}"}\n`))).facts!.lenientTokens).toBe(true);
    // 1 MiB chunks: a token cut in two by the boundary, at every cut.
    for (let cut = 1; cut < 'Infinity'.length; cut++) {
      const text = `${'x'.repeat(1024 * 1024 - cut)}Infinity\n`;
      expect((await scan(file('edge.jsonl', text))).facts!.lenientTokens).toBe(true);
    }
    for (let cut = 1; cut < ', }'.length; cut++) {
      const text = `${'x'.repeat(1024 * 1024 - cut)}, }\n`;
      expect((await scan(file('edge.jsonl', text))).facts!.lenientTokens).toBe(true);
    }
  });

  it('finds the lenient texts as a plain search for them does, on random text (the scan searches by other needles)', async () => {
    // The scan's needles: "NaN", "Infinit" then "y", and a comma before `}` or `]` past any spaces; the last
    // is a superset of the four comma tokens, so the reference counts any number of spaces.
    const reference = /NaN|Infinity|, *[}\]]/;
    const alphabet = ['N', 'a', 'I', 'n', 'f', 'i', 't', 'y', ',', ' ', '}', ']', 'x', '"', '\n', 'Infinit', 'Na'];
    let seed = 11;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let trips = 0;
    for (let k = 0; k < 300; k++) {
      let text = '';
      for (let i = 0; i < 40; i++) text += alphabet[next(alphabet.length)];
      const expected = reference.test(text);
      if (expected) trips++;
      expect((await scan(file('r.jsonl', `${text}\n`))).facts!.lenientTokens, text).toBe(expected);
    }
    expect(trips).toBeGreaterThan(30);
    expect(trips).toBeLessThan(270);
    for (const near of ['Infinite', 'Infinit', 'Na N', ', x}', ',x]', 'NAN'])
      expect((await scan(file('n.jsonl', `{"b":"${near}"}\n`))).facts!.lenientTokens, near).toBe(false);
  });

  it('hashes a .jsonl.gz as stored, judges its lines after decompression, and notes a truncated stream', async () => {
    const gz = gzipSync('{"a":1}\n{"a":2}\n');
    const r = await scan(file('a.jsonl.gz', gz), 'jsonl.gz');
    expect(r.sha256).toBe(createHash('sha256').update(gz).digest('hex'));
    expect(r.facts).toMatchObject({ lines: 2, blankLines: 0 });
    const cut = await scan(file('b.jsonl.gz', gz.subarray(0, gz.length - 10)), 'jsonl.gz');
    expect(cut.facts!.gzipError).toBeTruthy();
    expect(fastPathVerdict(cut.facts!)).toMatchObject({ ok: false });
  });
});
