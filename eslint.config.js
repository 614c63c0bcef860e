// ESLint flat config. The layer boundaries live here, in lint, so that a wrong import fails `npm run lint`
// instead of depending on a reviewer noticing it (test/unit/lint-boundaries.test.ts keeps them from vanishing).
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

// Matches a relative import that climbs out to a top-level folder, e.g. '../src/x.ts' or '../../main/ipc.ts'.
// The climb depth is not checked: no layer has a sub-folder named like a top-level one, so this cannot misfire.
const topLevelFolder = (folder) => `^(\\.\\./)+${folder}(/|$)`;

/** The core is plain Node: it runs the CLI and the browser-mode server as well as the Electron main process. */
const coreRestrictions = {
  paths: [],
  patterns: [
    {
      group: ['electron', 'electron/*', 'react', 'react/*', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'],
      message: 'src/ is the plain-Node core: UI and Electron libraries belong in renderer/ or main/.',
    },
    { regex: topLevelFolder('main'), message: 'src/ must not depend on the Electron shell (main/).' },
    { regex: topLevelFolder('renderer'), message: 'src/ must not depend on the UI (renderer/).' },
  ],
};

/** The renderer runs sandboxed in a browser: it reaches the core only through renderer/api.ts and the contract. */
const rendererRestrictions = {
  paths: [],
  patterns: [
    {
      regex: topLevelFolder('src'),
      allowTypeImports: true,
      message: 'renderer/ may import from src/ only with `import type`: call the core through renderer/api.ts.',
    },
    { regex: topLevelFolder('main'), message: 'renderer/ must not import the Electron shell (main/).' },
    {
      group: ['electron', 'electron/*'],
      message: 'renderer/ is sandboxed: use window.auditWs through renderer/api.ts.',
    },
    {
      group: ['node:*', ...nodeBuiltins, ...nodeBuiltins.map((name) => `${name}/*`)],
      message: 'renderer/ runs in a browser sandbox: Node modules are not available there.',
    },
  ],
};

/** The shell may use the core and Electron, but never the UI's modules. */
const shellRestrictions = {
  paths: [],
  patterns: [
    { regex: topLevelFolder('renderer'), message: 'main/ must not import renderer/ code.' },
    {
      group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'],
      message: 'UI libraries belong in renderer/.',
    },
  ],
};

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'dist/',
    'out/',
    '.vite/',
    'test-output/',
    'test/fixtures/',
    '.tmp*',
    '.tmp*/',
    '.scratch/',
    'coverage/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx,mts,cts,js,mjs}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', coreRestrictions] },
  },
  {
    files: ['renderer/**/*.{ts,tsx,js,jsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      '@typescript-eslint/no-restricted-imports': ['error', rendererRestrictions],
    },
  },
  {
    files: ['main/**/*.{ts,mts,cts,js,mjs}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', shellRestrictions] },
  },
);
