// Workers run their TypeScript entry bundled by esbuild (no tsx to register in each worker), or through
// tsx (boot.mjs) where a bundle cannot stand in for the sources.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bundled, startTsWorker } from '../../src/worker/ts-worker.ts';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  delete process.env.AUDIT_WS_WORKER_BUNDLE;
});

/** Posts the first message the worker sends. */
function firstMessage(entry: URL, data: Record<string, unknown>): Promise<unknown> {
  const worker = startTsWorker(entry, data);
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

function entryFile(name: string, text: string): URL {
  // Inside the repository, so that the entry's imports of src/ resolve as the workers' do.
  const dir = fs.mkdtempSync(path.join(fileURLToPath(new URL('../../test-output/', import.meta.url)), 'ts-worker-'));
  made.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return new URL(`file://${file}`);
}

const ECHO = `import { parentPort, workerData } from 'node:worker_threads';
import { sqlString } from '../../src/import/record-sql.ts';
const n: number = workerData.n;
parentPort!.postMessage({ quoted: sqlString("it's"), twice: n * 2 });
`;

describe('startTsWorker', () => {
  it('runs a TypeScript entry from its bundle, with its imports and workerData', async () => {
    fs.mkdirSync(fileURLToPath(new URL('../../test-output/', import.meta.url)), { recursive: true });
    const entry = entryFile('echo.ts', ECHO);
    const url = bundled(entry);
    expect(url?.href).toMatch(/node_modules\/\.cache\/audit-ws-workers\/echo-[0-9a-f]{16}\.mjs$/);
    expect(fs.readFileSync(url as URL, 'utf8')).toContain('postMessage');
    expect(await firstMessage(entry, { n: 21 })).toEqual({ quoted: "'it''s'", twice: 42 });
  });

  it('runs through tsx when the entry reads import.meta, or bundles are switched off', async () => {
    fs.mkdirSync(fileURLToPath(new URL('../../test-output/', import.meta.url)), { recursive: true });
    const meta = entryFile('meta.ts', `${ECHO}\nexport const here = import.meta.url;\n`);
    expect(bundled(meta)).toBeUndefined();
    expect(await firstMessage(meta, { n: 1 })).toEqual({ quoted: "'it''s'", twice: 2 });
    process.env.AUDIT_WS_WORKER_BUNDLE = '0';
    const plain = entryFile('plain.ts', ECHO);
    expect(bundled(plain)).toBeUndefined();
    expect(await firstMessage(plain, { n: 2 })).toEqual({ quoted: "'it''s'", twice: 4 });
  });
});
