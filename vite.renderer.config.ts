import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ConfigEnv } from 'vite';

const projectDir = path.dirname(fileURLToPath(import.meta.url));

/** Forge's Vite plugin adds `forgeConfigSelf` to the env when it drives the build (electron-forge start/package). */
function forgeRendererName(env: ConfigEnv): string | undefined {
  const self = (env as ConfigEnv & { forgeConfigSelf?: { name?: string } }).forgeConfigSelf;
  return self?.name;
}

// The renderer is one build for both hosts: browser mode serves dist/renderer, the desktop app packages
// .vite/renderer/<name> (where main/main.ts looks for it). base './' makes every asset URL relative, so the
// same files work under http://127.0.0.1:PORT/ and audit-ws://app/.
export default defineConfig((env) => {
  const forgeName = forgeRendererName(env);
  return {
    root: path.join(projectDir, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: forgeName
        ? path.join(projectDir, '.vite', 'renderer', forgeName)
        : path.join(projectDir, 'dist', 'renderer'),
      emptyOutDir: true,
      sourcemap: false,
      // Everything as files: an inlined (data:) asset or script would need a weaker CSP.
      assetsInlineLimit: 0,
    },
    clearScreen: false,
  };
});
