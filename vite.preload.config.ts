import { defineConfig } from 'vite';

// Forge's preload defaults (one CommonJS file, electron external) are what a sandboxed preload needs: it runs
// as a plain script with a restricted require(), so it must not be an ES module nor import the core.
export default defineConfig({});
