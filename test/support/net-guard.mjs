// A Node preload (`node --import ./test/support/net-guard.mjs ...`) that watches this process, and every
// worker thread it starts (they inherit --import), for network access: outbound TCP/IPC connects, TLS,
// DNS look-ups, UDP, fetch/http(s) requests and servers listening anywhere but loopback. Each attempt is
// appended as one JSON line to AUDIT_WS_NET_LOG, with a short stack, and refused (an error is thrown or
// passed to the callback), so a run outside a network namespace cannot leak either. Every thread also
// writes one {"kind":"loaded"} line, so a test can tell that the guard was really in place.
//
// Listening on 127.0.0.1 / ::1 / localhost is allowed (the browser-mode server) and recorded as
// {"kind":"listen", allowed:true}; connections accepted by such a server are not attempts of ours.
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { isMainThread, threadId } from 'node:worker_threads';

const LOG = process.env.AUDIT_WS_NET_LOG;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function write(entry) {
  if (!LOG) return;
  fs.appendFileSync(LOG, `${JSON.stringify({ pid: process.pid, thread: threadId, ...entry })}\n`);
}

function stack() {
  return (new Error().stack ?? '')
    .split('\n')
    .slice(3, 12)
    .map((s) => s.trim());
}

/** Where a connect/listen call points; `defaultHost` is Node's default when none is given. */
function describe(args, defaultHost) {
  // net.connect() hands Socket#connect its normalised arguments as one array: [options, callback].
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  if (first && typeof first === 'object') {
    const o = first;
    if (o.path) return { path: String(o.path) };
    return { host: o.host ?? o.hostname ?? defaultHost, port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof second === 'string' ? second : defaultHost, port: first };
}

function refuse(kind, target) {
  write({ kind, ...target, stack: stack() });
  const err = new Error(`net-guard: ${kind} ${JSON.stringify(target)} refused (this process must not use the network)`);
  err.code = 'ENETUNREACH';
  return err;
}

write({ kind: 'loaded', main: isMainThread });

// TCP and IPC connects: net.connect, http(s).request, fetch (undici), tls.connect all end here.
net.Socket.prototype.connect = function guardedConnect(...args) {
  const err = refuse('connect', describe(args, 'localhost'));
  process.nextTick(() => this.destroy(err));
  return this;
};

for (const [mod, name] of [
  [tls, 'connect'],
  [http, 'request'],
  [http, 'get'],
  [https, 'request'],
  [https, 'get'],
]) {
  mod[name] = function guarded(...args) {
    const first = args[0];
    const target =
      typeof first === 'string' || first instanceof URL ? { url: String(first) } : describe([first ?? {}], 'localhost');
    throw refuse(`${mod === tls ? 'tls' : mod === https ? 'https' : 'http'}.${name}`, target);
  };
}

if (typeof globalThis.fetch === 'function') {
  globalThis.fetch = async function guardedFetch(input) {
    throw refuse('fetch', { url: String(input?.url ?? input) });
  };
}

// DNS: callback and promise forms, and Resolver objects.
const DNS_METHODS = [
  'lookup',
  'lookupService',
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCname',
  'resolveMx',
  'resolveNs',
  'resolveTxt',
  'resolveSrv',
  'resolvePtr',
  'resolveNaptr',
  'resolveSoa',
  'resolveCaa',
  'reverse',
];
for (const m of DNS_METHODS) {
  if (typeof dns[m] === 'function') {
    const original = dns[m];
    dns[m] = function guardedDns(name, ...rest) {
      // An IP literal or localhost never leaves the machine (Node looks up even '127.0.0.1' before listening).
      if (m === 'lookup' && (net.isIP(String(name)) !== 0 || name === 'localhost')) return original(name, ...rest);
      const err = refuse(`dns.${m}`, { name: String(name) });
      const cb = rest.find((r) => typeof r === 'function');
      if (cb) process.nextTick(() => cb(err));
      else throw err;
    };
  }
  if (typeof dns.promises[m] === 'function') {
    dns.promises[m] = async function guardedDnsPromise(name) {
      throw refuse(`dns.promises.${m}`, { name: String(name) });
    };
  }
  for (const R of [dns.Resolver, dns.promises.Resolver]) {
    if (R && typeof R.prototype[m] === 'function') {
      R.prototype[m] = function guardedResolver(name) {
        throw refuse(`dns.Resolver.${m}`, { name: String(name) });
      };
    }
  }
}

// UDP.
for (const m of ['send', 'connect', 'bind']) {
  dgram.Socket.prototype[m] = function guardedUdp(...args) {
    throw refuse(`udp.${m}`, { args: args.filter((a) => typeof a !== 'function' && !Buffer.isBuffer(a)).map(String) });
  };
}

// Servers: loopback only.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function guardedListen(...args) {
  // No host: every interface (Node listens on :: / 0.0.0.0), which is not loopback.
  const target = describe(args, '::');
  if (target.path === undefined && LOOPBACK.has(String(target.host))) {
    write({ kind: 'listen', allowed: true, ...target });
    return listen.apply(this, args);
  }
  throw refuse('listen', target);
};
