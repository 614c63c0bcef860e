// The regulator's side as a case: an evidence package built from a demo case (explanation artefacts
// included) is verified and opened as a read-only case (src/package/open-case.ts) after the source archive
// is gone. The case's records answer the explorer's and timeline's queries, its verification is the
// package's own (per stream, check, checkpoint, and on each record and artefact), and it refuses imports,
// archive re-verification and re-packaging in words while taking annotations. Truths come from the
// archive's files and the package's files, read here.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/archive/canonical.ts';
import { addAnnotation } from '../../src/case/annotations.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import type { ContractResponse, JobSnapshot, Method, ParamsOf, ResultOf } from '../../src/contract/types.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { openPackageAsCase } from '../../src/package/open-case.ts';
import { verifyEvidencePackage, type PackageVerifyReport } from '../../src/package/verify.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';
import { queryContext } from '../../src/query/context.ts';
import { search } from '../../src/query/search.ts';
import { timeline } from '../../src/query/timeline.ts';
import { verifyCase as verifyArchivesOfCase } from '../../src/verify/case-run.ts';
import {
  DEFAULT_VERIFY_OPTIONS,
  offeredKeys,
  runCaseVerification,
  verificationView,
} from '../../src/verify/dashboard.ts';

const BIN = fileURLToPath(new URL('../../bin/audit-ws.mjs', import.meta.url));
let tmp: string;
let archive: string;
let keysDir: string;
let zip: string;
let ws: Workspace;
let chosen: string[];
/** Decision id -> its explanation artefact's file name and bytes, from the archive. */
const explained = new Map<string, { file: string; bytes: Buffer }>();
let manifestLines: string[];
let trust: { trustKeys: string[]; trustTsa: string[] };

const fails = (r: PackageVerifyReport) => r.findings.filter((f) => f.status === 'fail');

function unzipTo(file: string): string {
  const dir = mkdtempSync(join(tmp, 'x-'));
  execFileSync('unzip', ['-q', file, '-d', dir]);
  return dir;
}

function flipByte(file: string): void {
  const b = readFileSync(file);
  const i = Math.floor(b.length / 2);
  b[i] = b[i] === 0x41 ? 0x42 : 0x41;
  writeFileSync(file, b);
}

function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

/** A package rewritten by someone who also recomputes SHA256SUMS (and drops the signature). */
function resum(dir: string): void {
  rmSync(join(dir, 'SHA256SUMS.sig'), { force: true });
  const files = walk(dir)
    .filter((f) => f !== 'SHA256SUMS')
    .sort();
  writeFileSync(join(dir, 'SHA256SUMS'), files.map((f) => `${sha256Hex(readFileSync(join(dir, f)))}  ${f}\n`).join(''));
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'package-open-'));
  archive = join(tmp, 'demo');
  await generateDemoArchive({ out: archive, decisions: 400, days: 3, seed: 21 });
  // The keys a regulator would obtain out of band: copies, outside the archive.
  keysDir = join(tmp, 'keys');
  cpSync(join(archive, 'keys'), keysDir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(keysDir, 'investigator.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(keysDir, 'investigator.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  trust = {
    trustKeys: [join(keysDir, 'checkpoint-signing.pub.pem'), join(keysDir, 'investigator.pub.pem')],
    trustTsa: [join(keysDir, 'tsa-root.pem')],
  };
  for (const f of readdirSync(join(archive, 'explanations'))) {
    const bytes = readFileSync(join(archive, 'explanations', f));
    explained.set((JSON.parse(bytes.toString('utf8')) as { decisionId: string }).decisionId, { file: f, bytes });
  }
  manifestLines = readFileSync(join(archive, 'manifest/objects.jsonl'), 'utf8').split('\n');

  ws = new Workspace(join(tmp, 'ws'));
  const h = await ws.create('Credit review', { actor: 'Ada Investigator' });
  try {
    expect((await importArchives(h, [archive])).status).toBe('done');
    const plain = (
      await h.duck.runAndReadAll(
        'SELECT decision_id FROM decisions WHERE explanation_ref IS NULL ORDER BY seq LIMIT 17',
      )
    )
      .getRowsJS()
      .map((r) => String(r[0]));
    chosen = [...[...explained.keys()].slice(0, 3), ...plain];
    expect(chosen).toHaveLength(20);
    zip = join(tmp, 'evidence.zip');
    await writeEvidencePackage(h, {
      out: zip,
      selection: { decisionIds: chosen },
      signingKeyFile: join(keysDir, 'investigator.pem'),
    });
  } finally {
    await h.close();
  }
  // Nothing of the source remains: the regulator has the package and the keys only.
  rmSync(archive, { recursive: true });
}, 180_000);

afterAll(async () => {
  await closeSessions();
  rmSync(tmp, { recursive: true, force: true });
});

describe('explanation artefacts in an evidence package', () => {
  it('travel with their decisions, listed in SHA256SUMS, with the object store entry the archive held for each', async () => {
    const dir = unzipTo(zip);
    const withArtefact = chosen.filter((id) => explained.has(id));
    expect(withArtefact).toHaveLength(3);
    const packaged = readdirSync(join(dir, 'explanations')).sort();
    expect(packaged).toEqual(withArtefact.map((id) => explained.get(id)!.file).sort());
    for (const id of withArtefact) {
      const { file, bytes } = explained.get(id)!;
      expect(readFileSync(join(dir, 'explanations', file)).equals(bytes)).toBe(true);
    }
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
    for (const f of packaged)
      expect(sums).toContain(`${sha256Hex(readFileSync(join(dir, 'explanations', f)))}  explanations/${f}\n`);
    const objects = readFileSync(join(dir, 'manifest/explanations.jsonl'), 'utf8').trim().split('\n');
    expect(objects).toHaveLength(3);
    for (const line of objects) expect(manifestLines).toContain(line);
    const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain(`explanations/${packaged[0]}: OK`);
  });

  it('verify: intact, each artefact checked against its object store checksums, with the keys pinned', async () => {
    const r = await verifyEvidencePackage(zip, trust);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('intact');
    expect(r.explanations).toBe(3);
    expect(r.checks.find((c) => c.id === 'explanation-checksum')).toMatchObject({ pass: 3, fail: 0 });
    expect(r.checks.find((c) => c.id === 'explanation-link')).toMatchObject({ pass: 3, warn: 0 });
  });

  it('one changed byte of an artefact fails verification naming it, even when SHA256SUMS is recomputed', async () => {
    const file = `explanations/${explained.get(chosen[0])!.file}`;
    const dir = unzipTo(zip);
    flipByte(join(dir, file));
    const r = await verifyEvidencePackage(dir, trust);
    expect(r.verdict).toBe('tampered');
    expect(
      fails(r)
        .filter((f) => f.file === file)
        .map((f) => f.check),
    ).toEqual(expect.arrayContaining(['sha256sums', 'explanation-checksum']));
    resum(dir);
    const forged = await verifyEvidencePackage(dir, trust);
    expect(forged.verdict).toBe('tampered');
    expect(fails(forged).map((f) => [f.check, f.file])).toEqual(
      expect.arrayContaining([['explanation-checksum', file]]),
    );
  });

  it('an artefact no packaged decision names, and a name without its artefact, are both said', async () => {
    const dir = unzipTo(zip);
    const [gone, ...rest] = readdirSync(join(dir, 'explanations')).sort();
    renameSync(join(dir, 'explanations', gone), join(dir, 'explanations', `stray-${gone}`));
    resum(dir);
    const r = await verifyEvidencePackage(dir, trust);
    const links = r.findings.filter((f) => f.check === 'explanation-link');
    expect(links.map((f) => f.file)).toEqual(
      expect.arrayContaining([`explanations/stray-${gone}`, 'records/decisions.jsonl']),
    );
    expect(links.find((f) => f.file === 'records/decisions.jsonl')?.message).toMatch(
      /names explanation .* does not carry/,
    );
    expect(rest.length).toBe(2);
  });
});

describe('opening the package as a read-only case', () => {
  let opened: Awaited<ReturnType<typeof openPackageAsCase>>;
  beforeAll(async () => {
    opened = await openPackageAsCase(ws, zip, { name: 'Regulator: credit review', actor: 'Rita Regulator', ...trust });
  }, 120_000);

  it('holds the package as its evidence, verified, marked read-only, with a copy of the package', async () => {
    expect(opened.verification.verdict).toBe('intact');
    expect(opened.case).toMatchObject({
      name: 'Regulator: credit review',
      readOnly: expect.stringContaining('evidence.zip'),
    });
    expect(opened.case.origin).toMatchObject({
      kind: 'evidence-package',
      file: zip,
      sha256: sha256Hex(readFileSync(zip)),
      kept: 'package/evidence.zip',
      openedBy: 'Rita Regulator',
      sourceCase: 'Credit review',
      investigator: 'Ada Investigator',
    });
    expect(readFileSync(join(opened.case.dir, 'package/evidence.zip')).equals(readFileSync(zip))).toBe(true);
    expect(opened.records).toBe(opened.verification.records);
    expect(opened.explanations).toBe(3);
    const summary = ws.list().find((c) => c.slug === opened.case.slug)!;
    expect(summary.readOnly).toBe(opened.case.readOnly);
    expect(summary.totals.records).toBe(opened.verification.records);
  });

  it('its verification dashboard shows the package verification: streams, checks, checkpoints', async () => {
    const h = await ws.open(opened.case.slug, { mode: 'read' });
    try {
      const view = verificationView(h.sqlite)!;
      expect(view.run).toMatchObject({ id: opened.runId, verdict: 'intact', fails: 0, actor: 'Rita Regulator' });
      const records = JSON.parse(readFileSync(join(unzipTo(zip), 'package.json'), 'utf8')).records as Record<
        string,
        { records: number; kind: string }
      >;
      expect(
        Object.fromEntries(view.streams.map((s) => [s.name, [s.kind, s.records, s.anchoredRecords, s.verdict]])),
      ).toEqual(
        Object.fromEntries(Object.entries(records).map(([n, s]) => [n, [s.kind, s.records, s.records, 'intact']])),
      );
      const checks = Object.fromEntries(view.checks.map((c) => [c.id, c]));
      expect(checks['record-proof']).toMatchObject({
        pass: opened.verification.records,
        fail: 0,
        title: expect.stringMatching(/inclusion proof/),
      });
      expect(checks['record-hash'].pass).toBe(opened.verification.records);
      expect(checks['package-signature']).toMatchObject({ pass: 1 });
      expect(checks['explanation-checksum']).toMatchObject({ pass: 3 });
      expect(checks['sha256sums'].fail).toBe(0);
      expect(view.checkpoints.length).toBe(opened.verification.checkpoints.length);
      expect(view.checkpoints.every((c) => c.status === 'pass' && c.signed && c.timestamped)).toBe(true);
      // The package offers its keys for pinning; the key files the regulator gave read back as files, once.
      const offered = offeredKeys(h.sqlite);
      expect(offered.map((k) => k.path).sort()).toEqual(
        ['keys/checkpoint-signing.pub.pem', 'keys/investigator.pub.pem', 'keys/tsa-root.pem'].sort(),
      );
      expect(view.run.options).toMatchObject({
        trustKeys: [],
        trustKeyFiles: trust.trustKeys,
        trustTsa: [],
        trustTsaFiles: trust.trustTsa,
      });
    } finally {
      await h.close();
    }
  });

  it("answers the explorer's and a decision timeline's queries, explanation included, every event verified", async () => {
    const h = await ws.open(opened.case.slug, { mode: 'read' });
    try {
      const ctx = await queryContext(h);
      const found = await search(ctx, { limit: 100 });
      expect(found.total).toBe(20);
      expect(found.items.map((i) => i.decisionId).sort()).toEqual([...chosen].sort());
      expect(found.integrity.status).toBe('passed');
      const id = chosen[0];
      const t = await timeline(ctx, { decisionId: id });
      const decision = t.events.find((e) => e.kind === 'decision')!;
      expect(decision.integrity.status).toBe('passed');
      const explanation = t.events.find((e) => e.kind === 'explanation')!;
      expect(explanation.details.artefact).toEqual(JSON.parse(explained.get(id)!.bytes.toString('utf8')));
      expect(explanation.integrity.status).toBe('passed');
      expect(t.events.some((e) => e.kind === 'review')).toBe(true);
      expect(t.notices.filter((n) => /explanation/.test(n))).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('refuses imports, archive re-verification and re-packaging in words, and takes the regulator’s annotations', async () => {
    const h = await ws.open(opened.case.slug, { mode: 'write', actor: 'Rita Regulator' });
    try {
      const why = /is read-only, so it cannot .*opened from the evidence package evidence\.zip/;
      await expect(importArchives(h, [zip])).rejects.toThrow(why);
      await expect(importArchives(h, [zip])).rejects.toThrow(/cannot import archives/);
      await expect(verifyArchivesOfCase(h)).rejects.toThrow(/cannot re-verify source archives it does not have/);
      await expect(
        writeEvidencePackage(h, { out: join(tmp, 'again.zip'), selection: { decisionIds: [chosen[0]] } }),
      ).rejects.toThrow(/cannot cut a new evidence package/);
      expect(existsSync(join(tmp, 'again.zip'))).toBe(false);
      const note = addAnnotation(h, { target: `decision:${chosen[1]}`, text: 'asked the operator', starred: true });
      expect(note).toMatchObject({ actor: 'Rita Regulator', starred: true });
      const actions = (
        h.sqlite.prepare('SELECT action FROM custody_log ORDER BY seq').all() as { action: string }[]
      ).map((r) => r.action);
      expect(actions).toEqual([
        'case.created',
        'import.done',
        'package.verified',
        'package.opened',
        'annotation.added',
      ]);
    } finally {
      await h.close();
    }
  });

  it('running its verification again re-checks the kept package (and catches a changed copy)', async () => {
    const h = await ws.open(opened.case.slug, { mode: 'write', actor: 'Rita Regulator' });
    try {
      const keys = offeredKeys(h.sqlite);
      const id = (p: string) => keys.find((k) => k.path === p)!.sourceFileId;
      const run = await runCaseVerification(h, {
        ...DEFAULT_VERIFY_OPTIONS,
        trustKeys: [id('keys/checkpoint-signing.pub.pem'), id('keys/investigator.pub.pem')],
        trustTsa: [id('keys/tsa-root.pem')],
      });
      expect(run).toMatchObject({ verdict: 'intact', fails: 0 });
      expect(run.id).toBeGreaterThan(opened.runId);
      const view = verificationView(h.sqlite)!;
      // keys ticked among the offered ones read back ticked
      expect(view.run.options).toMatchObject({ trustKeyFiles: [], trustTsaFiles: [] });
      expect(view.run.options.trustKeys.sort()).toEqual(
        [id('keys/checkpoint-signing.pub.pem'), id('keys/investigator.pub.pem')].sort(),
      );
      expect(view.comparison).toMatchObject({ previousRunId: opened.runId, newFindings: 0, resolvedFindings: 0 });
      expect(view.checks.find((c) => c.id === 'custody-source')).toMatchObject({ pass: 1 });

      // Without pins: still intact in content, with the trust gaps said.
      const unpinned = await runCaseVerification(h, DEFAULT_VERIFY_OPTIONS);
      expect(unpinned.verdict).toBe('intact');
      expect(unpinned.warns).toBeGreaterThan(0);

      const kept = join(h.dir, 'package/evidence.zip');
      const original = readFileSync(kept);
      const dir = unzipTo(kept);
      flipByte(join(dir, 'records/decisions.jsonl'));
      rmSync(kept);
      execFileSync('zip', ['-qr', kept, '.'], { cwd: dir });
      const caught = await runCaseVerification(h, DEFAULT_VERIFY_OPTIONS);
      expect(caught.verdict).toBe('tampered');
      const latest = verificationView(h.sqlite)!;
      expect(latest.checks.find((c) => c.id === 'custody-source')).toMatchObject({ fail: 1 });
      writeFileSync(kept, original);
    } finally {
      await h.close();
    }
  });

  it('a package with a changed record and artefact still opens; the case shows where it is broken', async () => {
    const dir = unzipTo(zip);
    const artefact = `explanations/${explained.get(chosen[0])!.file}`;
    flipByte(join(dir, artefact));
    const recFile = join(dir, 'records/decisions.jsonl');
    const lines = readFileSync(recFile, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes(`"${chosen[5]}"`));
    lines[line] = lines[line].replace(
      /"confidence":0\.(\d)/,
      (_m, d: string) => `"confidence":0.${d === '9' ? '8' : '9'}`,
    );
    writeFileSync(recFile, lines.join('\n'));
    const o = await openPackageAsCase(ws, dir, { name: 'Broken package', actor: 'Rita Regulator', ...trust });
    expect(o.verification.verdict).toBe('tampered');
    expect(o.case.origin?.sha256).toBe(sha256Hex(readFileSync(join(dir, 'SHA256SUMS'))));
    const h = await ws.open(o.case.slug, { mode: 'read' });
    try {
      const ctx = await queryContext(h);
      const broken = await timeline(ctx, { decisionId: chosen[5] });
      const decision = broken.events.find((e) => e.kind === 'decision')!;
      expect(decision.integrity.status).toBe('failed');
      expect(decision.integrity.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['record-hash']));
      const t = await timeline(ctx, { decisionId: chosen[0] });
      const explanation = t.events.find((e) => e.kind === 'explanation')!;
      expect(explanation.integrity.status).toBe('failed');
      expect(explanation.integrity.checks.map((c) => c.check)).toEqual(
        expect.arrayContaining(['explanation-checksum', 'sha256sums']),
      );
      expect(verificationView(h.sqlite)!.run.verdict).toBe('tampered');
    } finally {
      await h.close();
    }
  });

  it('refuses what is not a package, and a taken name, leaving no case behind', async () => {
    const before = ws.list().map((c) => c.slug);
    const notPackage = join(tmp, 'not-a-package');
    cpSync(join(unzipTo(zip), 'records'), join(notPackage, 'records'), { recursive: true });
    await expect(openPackageAsCase(ws, notPackage, { name: 'Nope', actor: 'Rita' })).rejects.toThrow(
      /not an evidence package: package\.json is missing/,
    );
    await expect(openPackageAsCase(ws, zip, { name: 'credit review', actor: 'Rita' })).rejects.toThrow(
      /a case named "credit review" already exists/,
    );
    await expect(openPackageAsCase(ws, join(tmp, 'missing.zip'), { name: 'Nope', actor: 'Rita' })).rejects.toThrow(
      /no such file or folder/,
    );
    // cancelled midway (here: once the records are in): the half-made case goes
    const controller = new AbortController();
    await expect(
      openPackageAsCase(ws, zip, {
        name: 'Cancelled',
        actor: 'Rita',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'verifying the package') controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(ws.list().map((c) => c.slug)).toEqual(before);
    expect(existsSync(join(ws.casesDir, 'cancelled'))).toBe(false);
  });
});

describe('audit-ws verify-package --open-as', () => {
  function cli(args: string[]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  it('verifies, opens the package as a read-only case and says so; a second time the name is taken', () => {
    const args = ['verify-package', zip, '--open-as', 'From the CLI', '--workspace', ws.dir, '--investigator', 'Rita'];
    const pins = [...trust.trustKeys.flatMap((k) => ['--trust', k]), '--trust-tsa', trust.trustTsa[0]];
    const r = cli([...args, ...pins]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Verdict: INTACT/);
    expect(r.stdout).toMatch(/explanation artefacts: 3/);
    expect(r.stdout).toMatch(/Opened as read-only case "From the CLI" \(from-the-cli\)/);
    expect(ws.list().find((c) => c.slug === 'from-the-cli')?.readOnly).toMatch(/evidence\.zip/);
    const again = cli([...args, '--json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a case named "From the CLI" already exists/);
  });
});

describe('package.open through the contract', () => {
  it('runs as a job with progress; the case lists as read-only and refuses an import in words', async () => {
    const dispatcher = createDispatcher({ mode: 'browser', workspace: ws.dir });
    const call = async <M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> => {
      const response = (await dispatcher.handle(method, params)) as ContractResponse<M>;
      if (!response.ok) throw new Error(`${method} refused: ${response.code} ${response.message}`);
      return response.result;
    };
    let job: JobSnapshot = await call('package.open', { path: zip, name: 'Via the UI', ...trust });
    const phases = new Set<string>();
    while (job.state === 'running') {
      job = await call('jobs.get', { id: job.id, afterVersion: job.version, waitMs: 5000 });
      if (job.progress) phases.add(job.progress.phase);
    }
    expect(job.state).toBe('done');
    expect(job.result).toMatchObject({
      case: 'via-the-ui',
      verdict: 'intact',
      records: expect.any(Number),
      explanations: 3,
    });
    expect([...phases]).toEqual(expect.arrayContaining(['verifying the package']));
    const listed = (await call('cases.list', {})).cases.find((c) => c.slug === 'via-the-ui')!;
    expect(listed.readOnly).toMatch(/evidence\.zip/);
    expect(listed.origin).toMatchObject({ kind: 'evidence-package', kept: 'package/evidence.zip' });
    const imported = await call('import.start', { case: 'via-the-ui', paths: [zip] });
    let j = imported;
    while (j.state === 'running') j = await call('jobs.get', { id: j.id, afterVersion: j.version, waitMs: 5000 });
    expect(j.state).toBe('failed');
    expect(j.error?.message).toMatch(/read-only, so it cannot import archives/);
    const bad = await dispatcher.handle('package.open', { path: 'relative.zip', name: 'x' });
    expect(bad).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    const taken = await dispatcher.handle('package.open', { path: zip, name: 'VIA THE UI' });
    expect(taken).toMatchObject({ ok: false, code: 'BAD_USAGE', message: expect.stringMatching(/already exists/) });
    const verified = await call('verify.start', { case: 'via-the-ui' });
    let v = verified;
    while (v.state === 'running') v = await call('jobs.get', { id: v.id, afterVersion: v.version, waitMs: 5000 });
    expect(v.state).toBe('done');
    expect((await call('verify.latest', { case: 'via-the-ui' }))?.run.verdict).toBe('intact');
    expect(createHash('sha256').update(readFileSync(zip)).digest('hex')).toBe(listed.origin!.sha256);
  });
});
