import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/case/workspace.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';

const BIN = fileURLToPath(new URL('../../bin/audit-ws.mjs', import.meta.url));
let tmp: string;
let ws: string;
let archive: string;
let zip: string;
let producerKey: string;
let investigatorPub: string;
let chosen: string[];
/**
 * Identifiers of every decision NOT in the package. (Their hashes may appear, by design: a selected
 * record carries its predecessor's hash as prevHash, and a checkpoint names its last record's hash.)
 */
let others: string[];

function cli(args: string[], withWorkspace = true): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, ...(withWorkspace ? ['--workspace', ws] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, p)).isDirectory() ? walk(dir, p) : [p];
  });
}

function unzipTo(file: string): string {
  const dir = mkdtempSync(join(tmp, 'x-'));
  execFileSync('unzip', ['-q', file, '-d', dir]);
  return dir;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'package-cli-'));
  ws = join(tmp, 'ws');
  archive = join(tmp, 'demo');
  producerKey = join(archive, 'keys/checkpoint-signing.pub.pem');
  await generateDemoArchive({ out: archive, decisions: 800, days: 4, seed: 5 });
  const handle = await new Workspace(ws).create('Package case', { actor: 'Ada Investigator' });
  try {
    expect((await importArchives(handle, [archive])).status).toBe('done');
    await verifyCase(handle, { ...DEFAULT_VERIFY_OPTIONS, trustKeyFiles: [producerKey] });
    const rows = (
      await handle.duck.runAndReadAll(
        'SELECT decision_id, trace_id, affected_user_id, hash FROM decisions ORDER BY seq',
      )
    )
      .getRowsJS()
      .map((r) => r.map(String));
    chosen = rows.filter((_, i) => i % 40 === 7).map((r) => r[0]);
    expect(chosen).toHaveLength(20);
    const chosenUsers = new Set(rows.filter((r) => chosen.includes(r[0])).map((r) => r[2]));
    others = rows
      .filter((r) => !chosen.includes(r[0]))
      .flatMap((r) => [r[0], r[1], ...(chosenUsers.has(r[2]) ? [] : [r[2]])]);
  } finally {
    await handle.close();
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(tmp, 'investigator.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  investigatorPub = join(tmp, 'investigator.pub.pem');
  writeFileSync(investigatorPub, publicKey.export({ type: 'spki', format: 'pem' }));
  zip = join(tmp, 'evidence.zip');
  const r = cli([
    'package',
    '--case',
    'Package case',
    '--decisions',
    chosen.join(','),
    '--out',
    zip,
    '--sign',
    join(tmp, 'investigator.pem'),
    '--investigator',
    'Ada Investigator',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/20 decisions/);
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('audit-ws package and verify-package', () => {
  it('verifies with the pinned keys (exit 0) and holds the report', () => {
    const r = cli(['verify-package', zip, '--trust', producerKey, '--trust', investigatorPub, '--json'], false);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('intact');
    expect(j.findings.filter((f: { status: string }) => f.status === 'fail')).toEqual([]);
    expect(j.signature).toMatchObject({ status: 'pass', trusted: true });
    const dir = unzipTo(zip);
    const files = walk(dir);
    for (const f of [
      'report.pdf',
      'report.html',
      'findings.json',
      'csv/anomalies.csv',
      'custody.jsonl',
      'package.json',
      'SHA256SUMS',
      'SHA256SUMS.sig',
    ])
      expect(files).toContain(f);
    const findings = JSON.parse(readFileSync(join(dir, 'findings.json'), 'utf8'));
    expect(findings.cover.scope).toEqual({ kind: 'package', decisions: 20 });
    expect(findings.timelines.timelines.map((t: { subject: { id: string } }) => t.subject.id).sort()).toEqual(
      [...chosen].sort(),
    );
  });

  it('passes sha256sum -c', () => {
    const dir = unzipTo(zip);
    const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
    expect(out.length).toBe(walk(dir).length - 2);
    expect(out.every((l) => l.endsWith(': OK'))).toBe(true);
  });

  it('discloses no other record: no decision, trace or user id of an unselected decision in any file, the PDF included', () => {
    const dir = unzipTo(zip);
    const texts = walk(dir).map(
      (f) =>
        [
          f,
          f === 'report.pdf'
            ? execFileSync('pdftotext', [join(dir, f), '-'], { encoding: 'utf8' })
            : readFileSync(join(dir, f), 'latin1'),
        ] as const,
    );
    const leaks: string[] = [];
    const otherSet = new Set(others);
    for (const [f, text] of texts) {
      for (const token of text.match(/[A-Za-z0-9_-]{8,}/g) ?? []) if (otherSet.has(token)) leaks.push(`${f}: ${token}`);
    }
    expect(leaks).toEqual([]);
  });

  it('a changed byte in the report fails verification naming report.pdf (exit 1)', () => {
    const dir = unzipTo(zip);
    const file = join(dir, 'report.pdf');
    const b = readFileSync(file);
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(file, b);
    const r = cli(['verify-package', dir, '--trust', producerKey, '--trust', investigatorPub], false);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED - report\.pdf: its SHA-256 differs from SHA256SUMS/);
  });

  it('a changed byte inside the zip itself is refused naming the entry (exit 2)', async () => {
    const copy = join(tmp, 'flipped.zip');
    const bytes = readFileSync(zip);
    // find where records/decisions.jsonl's data starts and flip a byte in it
    const offset = await new Promise<number>((resolve, reject) => {
      yauzl.open(zip, { lazyEntries: true }, (err, z) => {
        if (err || !z) return reject(err);
        z.on('entry', (e: yauzl.Entry) => {
          if (e.fileName === 'records/decisions.jsonl') {
            z.close();
            resolve(
              e.relativeOffsetOfLocalHeader +
                30 +
                Buffer.byteLength(e.fileName) +
                e.extraFields.reduce((n, x) => n + 4 + x.data.length, 0) +
                5,
            );
          } else z.readEntry();
        });
        z.on('end', () => reject(new Error('entry not found')));
        z.readEntry();
      });
    });
    bytes[offset] ^= 0x01;
    writeFileSync(copy, bytes);
    const r = cli(['verify-package', copy], false);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/records\/decisions\.jsonl/);
  });

  it('refuses to run without a selection, and with both kinds of selection', () => {
    expect(cli(['package', '--case', 'Package case', '--out', join(tmp, 'n.zip')]).stderr).toMatch(
      /exactly one of --decisions/,
    );
    expect(
      cli(['package', '--case', 'Package case', '--out', join(tmp, 'n.zip'), '--decisions', 'x', '--select', 'true'])
        .code,
    ).toBe(2);
  });
});
