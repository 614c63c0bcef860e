import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  chmodSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { recordHash } from '../../src/archive/canonical.ts';
import { openArchive } from '../../src/archive/open.ts';
import { verifyArchives, type VerifyReport } from '../../src/verify/engine.ts';
import type { VerifyOptions } from '../../src/verify/types.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const LOGGER = fileURLToPath(new URL('../fixtures/spec/example-python-logger.jsonl', import.meta.url));
const TRUST: VerifyOptions = {
  trustKeys: [join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')],
  trustTsa: [join(EXAMPLE, 'keys/tsa-root.pem')],
};
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function makeWritable(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) makeWritable(p);
  }
}

function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'verify-ex-'));
  temps.push(dir);
  cpSync(EXAMPLE, dir, { recursive: true });
  chmodSync(dir, 0o755);
  makeWritable(dir);
  return dir;
}

async function verify(paths: string[], options: VerifyOptions = TRUST): Promise<VerifyReport> {
  const archives = [];
  for (const p of paths) archives.push(await openArchive(p));
  try {
    return await verifyArchives(archives, options);
  } finally {
    for (const a of archives) await a.close();
  }
}

function editLines(file: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  writeFileSync(file, edit(lines).join('\n') + '\n');
}

const failing = (r: VerifyReport) => r.findings.filter((f) => f.status === 'fail');

describe('verify: the example archive', () => {
  it('is intact with no fail and no warn when the investigator pins its key and TSA root', async () => {
    const r = await verify([EXAMPLE]);
    expect(r.verdict).toBe('intact');
    expect(r.findings).toEqual([]);
    expect(Object.values(r.streams).map((s) => [s.name, s.records])).toEqual(
      expect.arrayContaining([
        ['decisions', 60],
        ['lifecycle', 12],
        ['reviews', 24],
        ['outcomes', 19],
      ]),
    );
  });

  it('reports keys found only in the archive as self-asserted and time-stamps as unverifiable without an anchor', async () => {
    const r = await verify([EXAMPLE], {});
    expect(r.verdict).toBe('intact');
    expect(r.findings.filter((f) => f.check === 'checkpoint-signature').every((f) => f.status === 'warn')).toBe(true);
    expect(r.findings.filter((f) => f.check === 'checkpoint-timestamp').every((f) => f.status === 'unverifiable')).toBe(
      true,
    );
    expect(r.reason).toMatch(/Trust/);
  });
});

describe('verify: tampered copies of the example trip the right check at the right place', () => {
  it('a record changed with its hash kept: record-hash at that seq and line', async () => {
    const dir = copyExample();
    editLines(join(dir, 'decisions/2026-03-01.jsonl'), (lines) => {
      const r = JSON.parse(lines[6]);
      r.prediction = r.prediction === 'approve' ? 'decline' : 'approve';
      lines[6] = JSON.stringify(r);
      return lines;
    });
    const r = await verify([dir]);
    expect(r.verdict).toBe('tampered');
    expect(r.streams.decisions.verdict).toBe('tampered');
    const f = failing(r).filter((x) => x.check === 'record-hash');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ stream: 'decisions', seq: 6, file: 'decisions/2026-03-01.jsonl', line: 7 });
    expect(failing(r).some((x) => x.check === 'manifest-object' && x.file === 'decisions/2026-03-01.jsonl')).toBe(true);
  });

  it('a run of deleted records: one sequence finding over the whole gap, link and checkpoint count', async () => {
    const dir = copyExample();
    editLines(join(dir, 'decisions/2026-03-01.jsonl'), (lines) => [...lines.slice(0, 10), ...lines.slice(14)]);
    const r = await verify([dir]);
    expect(r.streams.decisions.verdict).toBe('tampered');
    const gap = failing(r).find((x) => x.check === 'sequence');
    expect(gap).toMatchObject({ seq: 10, seqEnd: 13, line: 11 });
    expect(failing(r).find((x) => x.check === 'link')).toMatchObject({ seq: 14 });
    expect(failing(r).find((x) => x.check === 'checkpoint-count')).toMatchObject({ expected: 30, actual: 26 });
  });

  it('a chain rewritten from a record onward is caught only by the checkpoints', async () => {
    const dir = copyExample();
    const file = join(dir, 'decisions/2026-03-02.jsonl');
    editLines(file, (lines) => {
      const recs = lines.map((l) => JSON.parse(l));
      recs[3].confidence = 0.01;
      for (let i = 3; i < recs.length; i++) {
        if (i > 0) recs[i].prevHash = recs[i - 1].hash;
        recs[i].hash = recordHash(recs[i]);
      }
      return recs.map((x) => JSON.stringify(x));
    });
    unlinkSync(join(dir, 'manifest/objects.jsonl'));
    const r = await verify([dir]);
    expect(r.streams.decisions.verdict).toBe('tampered');
    const checks = new Set(failing(r).map((x) => x.check));
    expect(checks).toEqual(new Set(['checkpoint-head', 'checkpoint-merkle']));
  });

  it('a checkpoint edited after signing and time-stamping', async () => {
    const dir = copyExample();
    const cp = join(dir, 'checkpoints/decisions/2026-03-01.json');
    writeFileSync(
      cp,
      readFileSync(cp, 'utf8').replace('"count": 30', '"count": 31').replace('"lastSeq": 29', '"lastSeq": 30'),
    );
    const r = await verify([dir]);
    expect(r.verdict).toBe('tampered');
    const checks = new Set(failing(r).map((x) => x.check));
    for (const c of ['checkpoint-signature', 'checkpoint-timestamp', 'manifest-object', 'checkpoint-continuity'])
      expect(checks).toContain(c);
    expect(failing(r).find((x) => x.check === 'checkpoint-signature')?.file).toBe(
      'checkpoints/decisions/2026-03-01.json.sig',
    );
  });

  it('a data file the manifest does not list, and a listed file that is missing', async () => {
    const dir = copyExample();
    writeFileSync(join(dir, 'outcomes/2026-04-02.jsonl'), readFileSync(join(dir, 'outcomes/2026-04-01.jsonl')));
    unlinkSync(join(dir, 'lifecycle/2026-02-19.jsonl'));
    const r = await verify([dir]);
    expect(failing(r).find((x) => x.check === 'manifest-unlisted')?.file).toBe('outcomes/2026-04-02.jsonl');
    expect(failing(r).find((x) => x.check === 'manifest-missing')?.file).toBe('lifecycle/2026-02-19.jsonl');
    expect(r.streams.lifecycle.verdict).not.toBe('intact');
  });

  it('GOVERNANCE-mode Object Lock is a warning; a short retention under the chosen policy fails', async () => {
    const dir = copyExample();
    const m = join(dir, 'manifest/objects.jsonl');
    writeFileSync(
      m,
      readFileSync(m, 'utf8').replace('"ObjectLockMode": "COMPLIANCE"', '"ObjectLockMode": "GOVERNANCE"'),
    );
    const r = await verify([dir]);
    const lock = r.findings.filter((x) => x.check === 'object-lock');
    expect(lock).toHaveLength(1);
    expect(lock[0]).toMatchObject({ status: 'warn', file: 'checkpoints/decisions/2026-03-01.json' });
    expect(r.verdict).toBe('intact');
    const fin = await verify([EXAMPLE], { ...TRUST, retention: 'finserv' });
    expect(fin.findings.filter((x) => x.check === 'retention' && x.status === 'fail').length).toBeGreaterThan(0);
    const eu = await verify([EXAMPLE], { ...TRUST, retention: 'eu-ai-act' });
    expect(eu.findings.filter((x) => x.check === 'retention')).toEqual([]);
  });

  it('records after the last checkpoint are unanchored', async () => {
    const dir = copyExample();
    for (const ext of ['', '.sig', '.tsr']) unlinkSync(join(dir, `checkpoints/outcomes/2026-04-01.json${ext}`));
    unlinkSync(join(dir, 'manifest/objects.jsonl'));
    const r = await verify([dir]);
    expect(r.streams.outcomes.verdict).toBe('unanchored');
    expect(r.findings.find((x) => x.check === 'checkpoint-coverage')).toMatchObject({
      stream: 'outcomes',
      seq: 10,
      seqEnd: 18,
    });
  });

  it('an archive with no chain says integrity cannot be established', async () => {
    const r = await verify([LOGGER], {});
    expect(r.verdict).toBe('unverifiable');
    expect(r.reason).toMatch(/integrity cannot be established/);
  });
});

describe('verify: one stream across two archives', () => {
  it('a warm-tier export and a later hot-tier export verify as one chain', async () => {
    const warm = copyExample();
    const hot = copyExample();
    for (const dir of [warm, hot]) unlinkSync(join(dir, 'manifest/objects.jsonl'));
    // warm holds day one of decisions, hot holds day two; other streams only in warm
    for (const ext of ['', '.sig', '.tsr']) unlinkSync(join(warm, `checkpoints/decisions/2026-03-02.json${ext}`));
    unlinkSync(join(warm, 'decisions/2026-03-02.jsonl'));
    for (const ext of ['', '.sig', '.tsr']) unlinkSync(join(hot, `checkpoints/decisions/2026-03-01.json${ext}`));
    unlinkSync(join(hot, 'decisions/2026-03-01.jsonl'));
    for (const s of ['lifecycle', 'reviews', 'outcomes']) {
      rmSync(join(hot, s), { recursive: true });
      rmSync(join(hot, 'checkpoints', s), { recursive: true });
    }
    const both = await verify([warm, hot]);
    expect(both.streams.decisions).toMatchObject({ verdict: 'intact', records: 60, firstSeq: 0, lastSeq: 59 });
    expect(failing(both)).toEqual([]);
    const hotOnly = await verify([hot]);
    expect(hotOnly.streams.decisions.verdict).not.toBe('intact');
  });
});

/** Turns every data file of an archive folder into Parquet (ZSTD) and drops the manifest that listed them. */
async function toParquet(dir: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  for (const stream of ['decisions', 'lifecycle', 'reviews', 'outcomes']) {
    for (const name of readdirSync(join(dir, stream))) {
      const src = join(dir, stream, name);
      const dst = src.replace(/\.jsonl(\.gz)?$/, '.parquet');
      // timestampformat/dateformat that never match keep timestamps as the strings the producer wrote
      await con.run(
        `COPY (SELECT * FROM read_json('${src}', timestampformat='x', dateformat='x')) TO '${dst}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      unlinkSync(src);
    }
  }
  con.closeSync();
  db.closeSync();
  unlinkSync(join(dir, 'manifest/objects.jsonl'));
}

describe('verify: Parquet-encoded records verify exactly like JSONL (spec section 6)', () => {
  const strip = (r: VerifyReport) =>
    r.findings.map(({ check, status, stream, seq, seqEnd }) => ({ check, status, stream, seq, seqEnd }));

  it('an intact Parquet copy is intact, and a modified record is found at the same seq in both encodings', async () => {
    const jsonl = copyExample();
    unlinkSync(join(jsonl, 'manifest/objects.jsonl'));
    const parquet = copyExample();
    await toParquet(parquet);
    const a = await verify([jsonl]);
    const b = await verify([parquet]);
    expect(b.verdict).toBe('intact');
    expect(strip(b)).toEqual(strip(a));
    expect(b.streams.decisions.records).toBe(60);

    for (const dir of [jsonl, parquet]) {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      if (dir === jsonl) {
        editLines(join(dir, 'decisions/2026-03-02.jsonl'), (lines) => {
          const r = JSON.parse(lines[4]);
          r.confidence = 0.5;
          lines[4] = JSON.stringify(r);
          return lines;
        });
      } else {
        const db = await DuckDBInstance.create(':memory:');
        const con = await db.connect();
        const f = join(dir, 'decisions/2026-03-02.parquet');
        await con.run(
          `COPY (SELECT * REPLACE (CASE WHEN seq = 34 THEN 0.5 ELSE confidence END AS confidence) FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`,
        );
        con.closeSync();
        db.closeSync();
        cpSync(`${f}.tmp`, f);
        unlinkSync(`${f}.tmp`);
      }
    }
    const ta = await verify([jsonl]);
    const tb = await verify([parquet]);
    expect(ta.verdict).toBe('tampered');
    expect(strip(tb)).toEqual(strip(ta));
    expect(tb.findings.find((f) => f.check === 'record-hash')).toMatchObject({ seq: 34, row: 5 });
  });
});

describe('verify: worker threads give the same findings as the calling thread', () => {
  it('on intact and tampered copies, with ranges cut every few records', async () => {
    const dirs = [EXAMPLE];
    const modified = copyExample();
    editLines(join(modified, 'decisions/2026-03-01.jsonl'), (lines) => {
      const r = JSON.parse(lines[6]);
      r.confidence = 0.123;
      lines[6] = JSON.stringify(r);
      lines.splice(12, 3);
      lines.splice(20, 0, lines[19]);
      lines[25] = '{not json';
      return lines;
    });
    dirs.push(modified);
    const rewritten = copyExample();
    editLines(join(rewritten, 'decisions/2026-03-02.jsonl'), (lines) => {
      const recs = lines.map((l) => JSON.parse(l));
      recs[3].confidence = 0.01;
      for (let i = 3; i < recs.length; i++) {
        recs[i].prevHash = recs[i - 1].hash;
        recs[i].hash = recordHash(recs[i]);
      }
      return recs.map((x) => JSON.stringify(x));
    });
    dirs.push(rewritten);
    for (const dir of dirs) {
      const inline = await verify([dir], { ...TRUST, workers: 0 });
      const parallel = await verify([dir], { ...TRUST, workers: 2, chunkBytes: 3000 });
      const key = (r: VerifyReport) =>
        r.findings
          .map((f) =>
            JSON.stringify([f.check, f.status, f.stream, f.seq, f.seqEnd, f.file, f.line, f.expected, f.actual]),
          )
          .sort();
      expect(key(parallel)).toEqual(key(inline));
      expect(parallel.checks).toEqual(inline.checks);
      expect(parallel.verdict).toBe(inline.verdict);
    }
  });

  it('on Parquet copies: positions by row, a changed value, a row the reader refuses, a file it cannot read', async () => {
    const intact = copyExample();
    await toParquet(intact);
    const odd = copyExample();
    await toParquet(odd);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const f = join(odd, 'decisions/2026-03-02.parquet');
    await con.run(
      `COPY (SELECT * REPLACE (CASE WHEN seq = 34 THEN 0.5 WHEN seq = 36 THEN 'nan'::DOUBLE ELSE confidence END AS confidence)
        FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`,
    );
    con.closeSync();
    db.closeSync();
    cpSync(`${f}.tmp`, f);
    unlinkSync(`${f}.tmp`);
    const cut = join(odd, 'decisions/2026-03-01.parquet');
    writeFileSync(cut, readFileSync(cut).subarray(0, 200));
    const key = (r: VerifyReport) =>
      r.findings
        .map((x) => JSON.stringify([x.check, x.status, x.stream, x.seq, x.seqEnd, x.file, x.line, x.row, x.message]))
        .sort();
    for (const dir of [intact, odd]) {
      const inline = await verify([dir], { ...TRUST, workers: 0 });
      const parallel = await verify([dir], { ...TRUST, workers: 2 });
      expect(key(parallel)).toEqual(key(inline));
      expect(parallel.checks).toEqual(inline.checks);
      expect(parallel.verdict).toBe(inline.verdict);
    }
    const found = (await verify([odd], { ...TRUST, workers: 2 })).findings;
    expect(found.find((x) => x.check === 'record-hash')).toMatchObject({ seq: 34, row: 5 });
    expect(found.find((x) => x.row === 7)).toMatchObject({ check: 'record-hash', status: 'unverifiable', seq: 36 });
    expect(found.find((x) => x.check === 'record-format' && x.file === 'decisions/2026-03-01.parquet')).toBeDefined();
  });
});
