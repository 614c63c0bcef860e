import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from '../contract/dispatcher.ts';
import { METHOD_NAME_PATTERN } from '../contract/types.ts';
import { AuditWsError, type ErrorCode } from '../errors.ts';
import {
  SECURITY_HEADERS,
  TOKEN_HEADER,
  allowedHosts,
  cookieName,
  newToken,
  readCookie,
  tokenMatches,
} from './security.ts';
import { contentTypeOf, resolveStaticFile } from './static-files.ts';

/** Loopback only: browser mode is for the person at this machine, never for the network. */
export const LISTEN_HOST = '127.0.0.1';
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface ServerOptions {
  /** The built renderer (dist/renderer). */
  staticDir: string;
  dispatcher: Dispatcher;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface RunningServer {
  port: number;
  origin: string;
  token: string;
  /** The address to open: carries the token once, then the page lives on an HttpOnly cookie. */
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = newToken();
  let port = options.port ?? 0;
  const server = createServer((req, res) => {
    handleRequest(req, res, { ...options, token, port }).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendJson(res, 500, { ok: false, code: 'INTERNAL', message, details: {} });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new AuditWsError('BAD_USAGE', `port ${port} on ${LISTEN_HOST} is already in use: choose another --port`)
          : err,
      ),
    );
    server.listen(port, LISTEN_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${LISTEN_HOST}:${port}`;
  return {
    port,
    origin,
    token,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface RequestContext extends ServerOptions {
  token: string;
  port: number;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  const host = req.headers.host ?? '';
  if (!allowedHosts(ctx.port).has(host)) return refuse(res, 403, `Host "${host}" is not this server`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return refuse(res, 403, `Origin "${origin}" is not allowed`);

  const url = new URL(req.url ?? '/', `http://${host}`);
  const cookie = cookieName(ctx.port);
  const headerToken = req.headers[TOKEN_HEADER];
  const presented = typeof headerToken === 'string' ? headerToken : readCookie(req.headers.cookie, cookie);
  if (tokenMatches(ctx.token, presented)) {
    if (url.pathname.startsWith('/api/')) return handleApi(req, res, url.pathname.slice('/api/'.length), ctx);
    return handleStatic(req, res, url, ctx);
  }

  // First page load: the printed URL carries ?token=; trade it for a cookie and drop it from the address bar.
  const queryToken = url.searchParams.get('token') ?? undefined;
  if ((req.method === 'GET' || req.method === 'HEAD') && tokenMatches(ctx.token, queryToken)) {
    url.searchParams.delete('token');
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      'Set-Cookie': `${cookie}=${ctx.token}; HttpOnly; SameSite=Strict; Path=/`,
      Location: `${url.pathname}${url.search}`,
    });
    res.end();
    return;
  }
  return refuse(res, 401, 'missing or wrong token: open the full URL that `audit-ws serve` printed');
}

async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  ctx: RequestContext,
): Promise<void> {
  if (req.method !== 'POST') return refuse(res, 405, 'API requests must be POST', { Allow: 'POST' });
  if (!METHOD_NAME_PATTERN.test(method)) return refuse(res, 404, `"${method}" is not a request name`);
  // A JSON content type also forces a CORS preflight on any cross-site attempt, which this server never grants.
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return refuse(res, 415, 'API requests must be Content-Type: application/json');

  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === undefined) {
    return refuse(res, 413, `request body is larger than ${MAX_REQUEST_BYTES} bytes`, { Connection: 'close' });
  }
  let params: unknown;
  if (body.length > 0) {
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'request body is not valid JSON');
    }
  }
  // Contract outcomes, errors included, are 200 with the {ok,...} envelope: HTTP statuses are for the transport.
  sendJson(res, 200, await ctx.dispatcher.handle(method, params));
}

async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL, ctx: RequestContext): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return refuse(res, 405, 'only GET and HEAD', { Allow: 'GET, HEAD' });
  const file = resolveStaticFile(ctx.staticDir, url.pathname);
  if (file === undefined) return refuse(res, 404, 'not found');
  const content = await readFile(file);
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(file), 'Content-Length': content.length });
  res.end(req.method === 'HEAD' ? undefined : content);
}

/**
 * Reads the whole body, or returns undefined as soon as it exceeds `limit` bytes; the caller then answers 413 with
 * Connection: close, which ends the upload without buffering it.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
  });
  res.end(body);
}

/** Transport-level refusal: same {ok:false} shape as contract errors, so every client reads one format. */
function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const code: ErrorCode = status === 404 ? 'NOT_FOUND' : status === 413 ? 'LIMIT_EXCEEDED' : 'BAD_USAGE';
  const body = Buffer.from(JSON.stringify({ ok: false, code, message, details: { status } }));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
  });
  res.end(body);
}
