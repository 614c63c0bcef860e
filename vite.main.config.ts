import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { TOOL_NAME, TOOL_VERSION } from './src/version.ts';

const projectDir = path.dirname(fileURLToPath(import.meta.url));

const { dependencies = {} } = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
};

/**
 * Runtime dependencies are not bundled: the main process imports them from node_modules exactly as the CLI does
 * (forge.config.ts ships production node_modules). Bundling them would break native add-ons (DuckDB, SQLite) and
 * CommonJS packages that require() Node builtins, which an ES-module bundle cannot do.
 */
const runtimeDependencies = Object.keys(dependencies);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Package names and their subpaths (e.g. 'react-dom/client'); an array because Forge concatenates its own. */
export const RUNTIME_EXTERNALS: (string | RegExp)[] = [
  ...runtimeDependencies,
  new RegExp(`^(${runtimeDependencies.map(escapeRegExp).join('|')})/`),
  // The CLI's PDF printer, loaded lazily by src/report/pdf.ts; the desktop app prints with Electron (main/pdf.ts)
  // and never loads it, so it stays out of the bundle.
  'playwright-core',
];

/**
 * src/version.ts reads ../package.json relative to its own file, which is wrong once bundled into
 * .vite/build/main.js; the bundle gets the values inlined instead.
 */
function inlineVersion(): Plugin {
  const versionFile = path.join(projectDir, 'src', 'version.ts');
  return {
    name: 'audit-ws:inline-version',
    enforce: 'pre',
    load(id) {
      if (path.normalize(id.split('?')[0]) !== versionFile) return null;
      return `export const TOOL_NAME = ${JSON.stringify(TOOL_NAME)};\nexport const TOOL_VERSION = ${JSON.stringify(TOOL_VERSION)};\n`;
    },
  };
}

// Forge merges this over its main-process defaults (output .vite/build, Node builtins and electron external).
// The main process is built as an ES module because package.json says "type": "module" (Electron >= 28 loads
// ESM main scripts); Forge only applies its CommonJS default when `build.lib` is not given here.
export default defineConfig({
  plugins: [inlineVersion()],
  build: {
    lib: { entry: path.join(projectDir, 'main', 'main.ts'), formats: ['es'], fileName: () => 'main.js' },
    rollupOptions: { external: RUNTIME_EXTERNALS },
  },
});
