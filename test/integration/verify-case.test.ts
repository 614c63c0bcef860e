import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';
import { verifyCase } from '../../src/verify/case-run.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function writable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) writable(p);
    else chmodSync(p, 0o644);
  }
}

describe('verify a case', () => {
  const scenario = async (): Promise<void> => {
    const root = mkdtempSync(join(tmpdir(), 'verify-case-'));
    temps.push(root);
    const archive = join(root, 'archive');
    cpSync(EXAMPLE, archive, { recursive: true });
    writable(archive);
    const ws = new Workspace(join(root, 'ws'));
    const handle = await ws.create('Case A', { actor: 'tester' });
    try {
      await importArchives(handle, [archive]);
      const trust = {
        trustKeys: [join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')],
        trustTsa: [join(EXAMPLE, 'keys/tsa-root.pem')],
      };
      const first = await verifyCase(handle, trust);
      expect(first.report.verdict).toBe('intact');
      expect(first.report.findings).toEqual([]);
      expect(first.comparison.previousRunId).toBeUndefined();

      const runs = handle.sqlite.prepare('SELECT id, status, options, summary FROM verification_runs').all() as {
        id: number;
        options: string;
        summary: string;
      }[];
      expect(runs).toHaveLength(1);
      expect(JSON.parse(runs[0].options).trustedKeys[0].spkiSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.parse(runs[0].summary).verdict).toBe('intact');

      // alter a record in the source after import: the custody hash and the record hash both catch it
      const file = join(archive, 'decisions/2026-03-01.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"confidence":0.6299', '"confidence":0.9299'));
      const second = await verifyCase(handle, trust);
      expect(second.report.verdict).toBe('tampered');
      const checks = second.report.findings.map((f) => f.check);
      expect(checks).toContain('custody-source');
      expect(checks).toContain('record-hash');
      expect(second.comparison).toMatchObject({
        previousRunId: first.runId,
        previousVerdict: 'intact',
        resolvedFindings: 0,
      });
      expect(second.comparison.newFindings).toBe(second.report.findings.length);
      const stored = handle.sqlite
        .prepare('SELECT check_id, seq, file, line FROM findings WHERE run_id = ? AND check_id = ?')
        .get(second.runId, 'record-hash');
      expect(stored).toEqual({ check_id: 'record-hash', seq: 0, file: 'decisions/2026-03-01.jsonl', line: 1 });

      const custody = readCustody(handle.sqlite);
      expect(custody.filter((e) => e.action === 'verify').map((e) => e.details.verdict)).toEqual([
        'intact',
        'tampered',
      ]);
      expect(verifyCustody(custody)).toEqual([]);
    } finally {
      await handle.close();
    }
  };

  it(
    'saves each run with parameters and findings, logs it in custody, compares with the previous run, and notices a source file changed since import',
    scenario,
  );

  it('does the same with the source files hashed by the checksum pool (as for a large case)', async () => {
    process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES = '0';
    try {
      await scenario();
    } finally {
      delete process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES;
    }
  }, 60_000);
});
