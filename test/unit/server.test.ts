import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import { CONTENT_SECURITY_POLICY, startServer, type RunningServer } from '../../src/server/index.ts';
import { resolveStaticFile } from '../../src/server/static-files.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const SECRET = 'secret-outside-the-ui-folder';

let root: string;
let staticDir: string;
let server: RunningServer;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-server-'));
  staticDir = path.join(root, 'ui');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(path.join(root, 'secret.txt'), SECRET);
  symlinkSync(path.join(root, 'secret.txt'), path.join(staticDir, 'assets', 'link.txt'));
  server = await startServer({ staticDir, dispatcher: createDispatcher({ mode: 'browser', workspace: root }) });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw node:http so the test controls Host and Origin exactly (fetch would not let it set Host). */
function send(options: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { Host: `127.0.0.1:${server.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function api(method: string, params: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send({
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'Content-Type': 'application/json', 'x-audit-ws-token': server.token, ...headers },
    body: JSON.stringify(params),
  });
}

describe('browser-mode server', () => {
  it('listens on loopback with a fresh 32-byte token and prints a tokened URL', () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
  });

  it('answers a good request with 200 and the contract result', async () => {
    const answer = await api('app.info', {}, { Origin: server.origin });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, result: { mode: 'browser', workspace: root } });
  });

  it('accepts localhost as Host with the matching Origin', async () => {
    const host = `localhost:${server.port}`;
    const answer = await api('app.info', {}, { Host: host, Origin: `http://${host}` });
    expect(answer.status).toBe(200);
  });

  it('serves archive.inspect through HTTP exactly as the dispatcher answers', async () => {
    const answer = await api('archive.inspect', { path: EXAMPLE });
    expect(answer.status).toBe(200);
    const direct = await createDispatcher({ mode: 'browser', workspace: root }).handle('archive.inspect', {
      path: EXAMPLE,
    });
    expect(JSON.parse(answer.body)).toEqual(direct);
  });

  it('returns contract errors as 200 with the {ok:false} envelope', async () => {
    const answer = await api('archive.inspect', { path: 'relative' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, code: 'BAD_USAGE' });
    expect(JSON.parse((await api('nope.verb', {})).body)).toMatchObject({ ok: false, code: 'BAD_USAGE' });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { 'x-audit-ws-token': 'f'.repeat(64) }],
    ['a token of the wrong length', { 'x-audit-ws-token': 'abc' }],
    ['a wrong cookie', { Cookie: 'audit_ws_token_1=x' }],
  ])('refuses an API request with %s: 401', async (_what, headers) => {
    const answer = await send({
      method: 'POST',
      path: '/api/app.info',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false });
    expect(answer.body).not.toContain('"result"');
  });

  it('refuses the page itself without the token: 401', async () => {
    expect((await send({ path: '/' })).status).toBe(401);
    expect((await send({ path: '/assets/app.js' })).status).toBe(401);
  });

  it('refuses a token in the query string for the API', async () => {
    const answer = await send({
      method: 'POST',
      path: `/api/app.info?token=${server.token}`,
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(answer.status).toBe(401);
  });

  it.each([
    'evil.example',
    `evil.example:${'PORT'}`,
    '127.0.0.1',
    '127.0.0.1:1',
    '0.0.0.0:PORT',
    '[::1]:PORT',
    'localhost.evil.example:PORT',
  ])('refuses Host %s (DNS rebinding): 403', async (hostTemplate) => {
    const host = hostTemplate.replace('PORT', String(server.port));
    const answer = await api('app.info', {}, { Host: host });
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('"result"');
  });

  it.each(['http://evil.example', 'null', 'http://127.0.0.1:1', 'https://127.0.0.1:PORT', 'http://localhost:PORT'])(
    'refuses foreign Origin %s: 403',
    async (originTemplate) => {
      const origin = originTemplate.replace('PORT', String(server.port));
      const answer = await api('app.info', {}, { Origin: origin });
      expect(answer.status).toBe(403);
    },
  );

  it('trades the ?token= of the first page load for an HttpOnly SameSite=Strict cookie', async () => {
    const first = await send({ path: `/?token=${server.token}&view=home` });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?view=home');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toContain(`audit_ws_token_${server.port}=${server.token}`);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = setCookie.split(';')[0];

    const page = await send({ path: '/', headers: { Cookie: `other=1; ${cookie}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ui</title>');
    const call = await send({
      method: 'POST',
      path: '/api/app.info',
      headers: { Cookie: cookie, 'Content-Type': 'application/json', Origin: server.origin },
      body: '{}',
    });
    expect(call.status).toBe(200);
    expect(JSON.parse(call.body)).toMatchObject({ ok: true });
    expect((await send({ path: '/?token=wrong' })).status).toBe(401);
  });

  it('sends the strict CSP, nosniff and a content type with every file', async () => {
    const auth = { 'x-audit-ws-token': server.token };
    const page = await send({ path: '/', headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const script = await send({ path: '/assets/app.js', headers: auth });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log(1);');
    const refused = await send({ path: '/' });
    expect(refused.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets%5c..%5c..%5csecret.txt',
    '/%00/../secret.txt',
    '/assets/link.txt',
    '/assets',
    '/assets/',
    '/%E0%A4%A',
  ])('refuses path traversal and non-files: %s', async (p) => {
    const answer = await send({ path: p, headers: { 'x-audit-ws-token': server.token } });
    expect([400, 404]).toContain(answer.status);
    expect(answer.body).not.toContain(SECRET);
  });

  it('resolves only regular files inside the folder', () => {
    expect(resolveStaticFile(staticDir, '/')).toBe(path.join(staticDir, 'index.html'));
    expect(resolveStaticFile(staticDir, '/assets/app.js')).toBe(path.join(staticDir, 'assets', 'app.js'));
    expect(resolveStaticFile(staticDir, '/assets/..%2f..%2fsecret.txt')).toBeUndefined();
    expect(resolveStaticFile(staticDir, '/assets/link.txt')).toBeUndefined();
  });

  it('refuses the wrong verb, content type, malformed JSON and oversized bodies', async () => {
    const auth = { 'x-audit-ws-token': server.token };
    expect((await send({ path: '/api/app.info', headers: auth })).status).toBe(405);
    expect((await send({ method: 'POST', path: '/', headers: auth })).status).toBe(405);
    const textPlain = await send({
      method: 'POST',
      path: '/api/app.info',
      headers: { ...auth, 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(textPlain.status).toBe(415);
    const badJson = await send({
      method: 'POST',
      path: '/api/app.info',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: '{"oops"',
    });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toMatchObject({ ok: false, message: 'request body is not valid JSON' });
    const huge = await send({
      method: 'POST',
      path: '/api/app.info',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: Buffer.alloc(1024 * 1024 + 10, 0x20),
    }).catch((err: NodeJS.ErrnoException) => ({ status: err.code === 'ECONNRESET' ? 413 : 0 }));
    expect(huge.status).toBe(413);
    expect((await send({ method: 'POST', path: '/api/Bad%20Name', headers: auth })).status).toBe(404);
  });
});

describe('server lifecycle', () => {
  it('refuses a port already in use with a plain sentence', async () => {
    const dispatcher = createDispatcher({ mode: 'browser', workspace: root });
    await expect(startServer({ staticDir, dispatcher, port: server.port })).rejects.toThrowError(/already in use/);
  });

  it('picks a different free port and token for every run, and closes', async () => {
    const dispatcher = createDispatcher({ mode: 'browser', workspace: root });
    const other = await startServer({ staticDir, dispatcher });
    expect(other.port).not.toBe(server.port);
    expect(other.token).not.toBe(server.token);
    await other.close();
    await expect(
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: other.port, path: '/' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toThrow();
  });
});
