import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { TOOL_NAME, TOOL_VERSION } from './src/version.ts';

const projectDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * Native add-ons cannot be bundled: they stay `import`s of node_modules, which forge.config.ts keeps in the
 * package (see packagerConfig.ignore there).
 */
export const NATIVE_EXTERNALS = ['@duckdb/node-api', 'better-sqlite3'];

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
    rollupOptions: { external: NATIVE_EXTERNALS },
  },
});
