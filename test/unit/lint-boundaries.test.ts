// The layer rules are enforced by eslint.config.js; these cases make sure each rule still fires, so that an
// edit to the config cannot silently remove a boundary.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const RULE = '@typescript-eslint/no-restricted-imports';
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

/** Lints `code` as if it were the file at `relPath` and returns the boundary messages it produced. */
async function boundaryMessages(relPath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: path.join(repoRoot, relPath) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal, `parse error in snippet for ${relPath}`).toEqual([]);
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('src/ (core) boundaries', () => {
  it.each([
    ["import { app } from 'electron';", 'Electron'],
    ["import { ipcMain } from 'electron/main';", 'Electron'],
    ["import { useState } from 'react';", 'UI'],
    ["import { createRoot } from 'react-dom/client';", 'UI'],
    ["import { create } from 'zustand';", 'UI'],
    ["import type { StoreApi } from 'zustand';", 'UI'],
    ["import { registerContractIpc } from '../main/ipc.ts';", 'main/'],
    ["import { registerContractIpc } from '../../main/ipc.ts';", 'main/'],
    ["import { invoke } from '../renderer/api.ts';", 'renderer/'],
  ])('refuses %s', async (code, mentions) => {
    const messages = await boundaryMessages('src/contract/example.ts', code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(mentions);
  });

  it('allows core and Node imports', async () => {
    const code =
      "import { readFileSync } from 'node:fs';\nimport { AuditWsError } from '../errors.ts';\nimport { runCli } from '../cli/main.ts';";
    expect(await boundaryMessages('src/contract/example.ts', code)).toEqual([]);
  });
});

describe('renderer/ boundaries', () => {
  it.each([
    ["import { handle } from '../src/contract/dispatcher.ts';", 'import type'],
    ["import { handle } from '../../src/contract/dispatcher.ts';", 'import type'],
    ["import { readFileSync } from 'node:fs';", 'Node modules'],
    ["import fs from 'fs';", 'Node modules'],
    ["import { join } from 'path/posix';", 'Node modules'],
    ["import { ipcRenderer } from 'electron';", 'window.auditWs'],
    ["import { registerContractIpc } from '../main/ipc.ts';", 'main/'],
  ])('refuses %s', async (code, mentions) => {
    const messages = await boundaryMessages('renderer/features/home/Example.tsx', code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(mentions);
  });

  it('allows type-only imports from src/ and UI libraries', async () => {
    const code = [
      "import type { Method } from '../../src/contract/types.ts';",
      "import { type ResultOf } from '../../src/contract/types.ts';",
      "import { create } from 'zustand';",
      "import { useState } from 'react';",
    ].join('\n');
    expect(await boundaryMessages('renderer/features/home/Example.tsx', code)).toEqual([]);
  });
});

describe('renderer/ React rules', () => {
  it('checks the rules of hooks', async () => {
    const code = [
      "import { useState } from 'react';",
      'export function Panel({ open }: { open: boolean }) {',
      '  if (open) {',
      '    const [n] = useState(0);',
      '    return n;',
      '  }',
      '  return 0;',
      '}',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, 'renderer/features/home/Panel.tsx') });
    expect(result.messages.map((m) => m.ruleId)).toContain('react-hooks/rules-of-hooks');
  });
});

describe('main/ boundaries', () => {
  it('allows the core and Electron', async () => {
    const code = "import { app } from 'electron';\nimport { createDispatcher } from '../src/contract/dispatcher.ts';";
    expect(await boundaryMessages('main/example.ts', code)).toEqual([]);
  });

  it('refuses UI modules', async () => {
    expect(await boundaryMessages('main/example.ts', "import { invoke } from '../renderer/api.ts';")).toHaveLength(1);
    expect(await boundaryMessages('main/example.ts', "import { create } from 'zustand';")).toHaveLength(1);
  });
});
