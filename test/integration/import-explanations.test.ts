// Explanation artefacts kept with the evidence (src/import/explanations.ts): an import loads every
// explanations/<ref>.json of its archives into evidence.duckdb inside its transaction, so a timeline reads
// them from the case once the archive is gone; a second import of the same archive stores nothing twice; a
// failed import leaves none; an import whose process died has its artefacts removed with its records; and an
// artefact changed inside the case is shown as changed. Truths come from the archive's files, read here.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { queryContext } from '../../src/query/context.ts';
import { readExplanation } from '../../src/query/explanations.ts';
import { timeline } from '../../src/query/timeline.ts';

let tmp: string;
let archive: string;
let ws: Workspace;
/** The archive's artefacts as its files hold them: path -> bytes. */
const artefacts = new Map<string, Buffer>();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function count(h: CaseHandle): Promise<number> {
  return Number((await h.duck.runAndReadAll('SELECT count(*) FROM explanations')).getRowsJS()[0][0]);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'import-expl-'));
  archive = join(tmp, 'demo');
  const summary = await generateDemoArchive({ out: archive, decisions: 400, days: 2, seed: 11 });
  for (const f of readdirSync(join(archive, 'explanations')))
    artefacts.set(`explanations/${f}`, readFileSync(join(archive, 'explanations', f)));
  expect(artefacts.size).toBe(summary.explanations);
  expect(artefacts.size).toBeGreaterThan(2);
  ws = new Workspace(join(tmp, 'ws'));
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('explanation artefacts imported into the case', () => {
  it('are stored byte for byte with the SHA-256 recorded for them, once however often the archive is imported', async () => {
    const h = await ws.create('Kept', { actor: 'Ada' });
    try {
      const r = await importArchives(h, [archive]);
      expect(r.status).toBe('done');
      const rows = (
        await h.duck.runAndReadAll('SELECT path, ref, sha256, size, content FROM explanations ORDER BY path')
      )
        .getRowsJS()
        .map(([p, ref, sha, size, content]) => ({
          path: String(p),
          ref: String(ref),
          sha: String(sha),
          size: Number(size),
          content: Buffer.from(content as Uint8Array),
        }));
      expect(rows.map((x) => x.path)).toEqual([...artefacts.keys()].sort());
      for (const row of rows) {
        const bytes = artefacts.get(row.path)!;
        expect(row.content.equals(bytes)).toBe(true);
        expect(row.sha).toBe(sha256(bytes));
        expect(row.size).toBe(bytes.length);
        expect(`explanations/${row.ref}.json`).toBe(row.path);
      }
      // case.sqlite's record of the same files agrees
      const recorded = h.sqlite
        .prepare("SELECT path, sha256 FROM source_files WHERE role = 'explanation' ORDER BY path")
        .all() as { path: string; sha256: string }[];
      expect(recorded).toEqual(rows.map((x) => ({ path: x.path, sha256: x.sha })));

      const again = await importArchives(h, [archive], { force: true });
      expect(again.status).toBe('done');
      expect(await count(h)).toBe(artefacts.size);
    } finally {
      await h.close();
    }
  });

  it('are read from a .zip container too', async () => {
    const zip = join(tmp, 'demo.zip');
    execFileSync('zip', ['-qr', zip, 'demo'], { cwd: tmp });
    const h = await ws.create('Zipped', { actor: 'Ada' });
    try {
      expect((await importArchives(h, [zip])).status).toBe('done');
      expect(await count(h)).toBe(artefacts.size);
    } finally {
      await h.close();
    }
  });

  it('a failed (strict) import leaves none behind', async () => {
    const bad = join(tmp, 'bad');
    cpSync(archive, bad, { recursive: true });
    const data = readdirSync(join(bad, 'decisions')).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(bad, 'decisions', data), '{"not": "a decision"\n');
    const h = await ws.create('Strict', { actor: 'Ada' });
    try {
      const r = await importArchives(h, [bad], { strict: true });
      expect(r.status).toBe('failed');
      expect(await count(h)).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('the artefacts of an import whose process died are removed with its records', async () => {
    const h = await ws.create('Crashed', { actor: 'Ada' });
    const dir = h.dir;
    await h.duck.run(
      "INSERT INTO explanations VALUES (77, 1, 'explanations/x.json', 'x', 'aa', 2, '{}'::BLOB)", // import 77 never finished
    );
    await h.close();
    const again = await CaseHandle.open(dir, { mode: 'write', actor: 'Ada' });
    try {
      expect(await count(again)).toBe(0);
    } finally {
      await again.close();
    }
  });

  it('the timeline reads them from the case once the archive is gone, and shows one changed in the case as changed', async () => {
    const copy = join(tmp, 'moving');
    cpSync(archive, copy, { recursive: true });
    const h = await ws.create('Gone', { actor: 'Ada' });
    try {
      expect((await importArchives(h, [copy])).status).toBe('done');
      rmSync(copy, { recursive: true });
      const [firstPath, firstBytes] = [...artefacts.entries()].sort(([a], [b]) => a.localeCompare(b))[0];
      const artefact = JSON.parse(firstBytes.toString('utf8')) as { decisionId: string; explanationRef: string };
      const ref = firstPath.slice('explanations/'.length, -'.json'.length);

      const read = await readExplanation(h.sqlite, ref);
      expect(read).toMatchObject({ path: firstPath, unchanged: true });
      expect('bytes' in read && read.bytes.equals(firstBytes)).toBe(true);

      const t = await timeline(await queryContext(h), { decisionId: artefact.decisionId });
      expect(t.notices.filter((n) => n.includes('explanation'))).toEqual([]);
      const event = t.events.find((e) => e.kind === 'explanation');
      expect(event?.details).toMatchObject({ explanationRef: ref, path: firstPath, artefact });

      await h.duck.run('UPDATE explanations SET content = \'{"edited":true}\'::BLOB WHERE path = $p', { p: firstPath });
      expect(await readExplanation(h.sqlite, ref)).toMatchObject({ unchanged: false });
      const t2 = await timeline(await queryContext(h), { decisionId: artefact.decisionId });
      const changed = t2.events.find((e) => e.kind === 'explanation');
      expect(changed?.integrity.status).toBe('failed');
      expect(changed?.integrity.checks.map((c) => c.check)).toContain('explanation-unchanged');
    } finally {
      await h.close();
    }
  });

  it('an artefact the case does not hold is still read from the archive (a case imported before they were kept)', async () => {
    const h = await ws.create('Older', { actor: 'Ada' });
    try {
      expect((await importArchives(h, [archive])).status).toBe('done');
      await h.duck.run('DELETE FROM explanations');
      const [p, bytes] = [...artefacts.entries()][0];
      const read = await readExplanation(h.sqlite, p.slice('explanations/'.length, -'.json'.length));
      expect(read).toMatchObject({ path: p, unchanged: true });
      // and once the archive is moved away, it says why it cannot be shown
      renameSync(archive, `${archive}-away`);
      try {
        const missing = await readExplanation(h.sqlite, p.slice('explanations/'.length, -'.json'.length));
        expect(missing).toMatchObject({ missing: expect.stringMatching(/no longer in|could not be read/) });
      } finally {
        renameSync(`${archive}-away`, archive);
      }
      expect(bytes.length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});
