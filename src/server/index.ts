import { fileURLToPath } from 'node:url';

export { startServer, LISTEN_HOST, MAX_REQUEST_BYTES, type RunningServer, type ServerOptions } from './server.ts';
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS, TOKEN_HEADER } from './security.ts';
export { contentTypeOf, resolveStaticFile } from './static-files.ts';
export { openInBrowser } from './open-browser.ts';

/** Where `vite build -c vite.renderer.config.ts` puts the renderer, relative to this checkout or package. */
export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../../dist/renderer/', import.meta.url));
}
