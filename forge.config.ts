import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerRpm } from '@electron-forge/maker-rpm';
import { MakerZIP } from '@electron-forge/maker-zip';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';

/** Production node_modules (native add-ons above all) must ship: Vite leaves them as imports (vite.main.config.ts). */
const KEPT_AT_TOP_LEVEL = ['/.vite', '/node_modules', '/package.json'];

const config: ForgeConfig = {
  packagerConfig: {
    name: 'AI Audit Workstation',
    executableName: 'ai-audit-workstation',
    appBundleId: 'org.ai-audit-workstation.app',
    // Native add-ons cannot be loaded from inside an asar archive.
    asar: { unpack: '**/*.node' },
    // Keep only the Vite output and the runtime dependencies; Electron Packager then prunes devDependencies.
    // (The Vite plugin's default keeps .vite alone, which would drop DuckDB and SQLite.)
    ignore: (file: string) =>
      file !== '' && !KEPT_AT_TOP_LEVEL.some((kept) => file === kept || file.startsWith(`${kept}/`)),
  },
  rebuildConfig: {},
  makers: [
    new MakerZIP({}, ['linux', 'darwin', 'win32']),
    new MakerDeb({
      options: { name: 'ai-audit-workstation', productName: 'AI Audit Workstation', categories: ['Utility'] },
    }),
    new MakerRpm({
      options: { name: 'ai-audit-workstation', productName: 'AI Audit Workstation', categories: ['Utility'] },
    }),
  ],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'main/main.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'main/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
  ],
};

export default config;
