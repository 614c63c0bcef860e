import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeOf, resolveStaticFile } from '../src/server/static-files.ts';
import { SECURITY_HEADERS } from '../src/server/security.ts';
import { APP_HOST, APP_SCHEME } from './policy.ts';

/** Must run before the app is ready: the scheme behaves like https (secure context, fetch, same-origin rules). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer under audit-ws://app/ with the same path checks and headers as browser mode. */
export function serveRendererFrom(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? resolveStaticFile(rendererDir, url.pathname) : undefined;
    if (file === undefined) return new Response('not found', { status: 404, headers: { ...SECURITY_HEADERS } });
    return new Response(await readFile(file), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(file) },
    });
  });
}
