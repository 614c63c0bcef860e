// The one typed map of every request the UI can make, shared by the dispatcher (src/contract/dispatcher.ts),
// the Electron IPC bridge (main/ipc.ts), the browser-mode server (src/server/) and the renderer (renderer/api.ts,
// which may only `import type` from here). Adding a request means: a line here, a handler in handlers/<domain>.ts.
import type { inspectArchive } from '../archive/inspect.ts';
import type { generateDemoArchive } from '../demo/generator.ts';
import type { ErrorPayload } from '../errors.ts';
import type { Jsonified } from './plain-json.ts';

export type InspectReport = Awaited<ReturnType<typeof inspectArchive>>;
export type DemoSummary = Awaited<ReturnType<typeof generateDemoArchive>>;

/** Where the UI runs: the desktop app, or a browser talking to `audit-ws serve` on 127.0.0.1. */
export type AppMode = 'electron' | 'browser';

export interface AppInfo {
  toolName: string;
  toolVersion: string;
  mode: AppMode;
  /** Folder holding the demo archive and, later, cases. */
  workspace?: string;
}

export interface DemoDescription {
  /** Absolute path of the demo archive folder inside the workspace. */
  path: string;
  /** False until `npm start` (or ensureDemoArchive) has generated it. */
  exists: boolean;
  /** What the generator reported when it wrote the archive. */
  summary?: Jsonified<DemoSummary>;
}

/** `domain.verb` -> what the caller sends and what it gets back (always plain JSON). */
export interface Contract {
  'app.info': { params: Record<string, never>; result: AppInfo };
  'archive.inspect': { params: { path: string }; result: Jsonified<InspectReport> };
  'demo.describe': { params: Record<string, never>; result: DemoDescription };
}

export type Method = keyof Contract;
export type ParamsOf<M extends Method> = Contract[M]['params'];
export type ResultOf<M extends Method> = Contract[M]['result'];

export interface SuccessPayload<M extends Method = Method> {
  ok: true;
  result: ResultOf<M>;
}

/** What every transport returns for one request: the result, or the core's one error shape. */
export type ContractResponse<M extends Method = Method> = SuccessPayload<M> | ErrorPayload;

/** What the host (Electron main or the browser-mode server) tells handlers about where they run. */
export interface HandlerContext {
  mode: AppMode;
  workspace: string;
}

export interface Handler<M extends Method> {
  /** Checks untrusted params and returns them typed; throws AuditWsError BAD_USAGE naming the member. */
  parse(params: unknown): ParamsOf<M>;
  run(params: ParamsOf<M>, context: HandlerContext): Promise<ResultOf<M>>;
}

/** One handler per method: the compiler refuses a table that misses one. */
export type HandlerTable = { [M in Method]: Handler<M> };

/** Method names have this shape on every transport (also used to route `POST /api/<method>`). */
export const METHOD_NAME_PATTERN = /^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9]*$/;

/** Notices the desktop shell pushes to the UI (browser mode has none): e.g. File > Open archive. */
export type AppEvent = { type: 'open-archive'; path: string };

/** What the Electron preload exposes as `window.auditWs`: requests in, app events out, nothing else. */
export interface DesktopBridge {
  invoke(method: string, params?: unknown): Promise<ContractResponse>;
  /** Returns the function that removes the listener. */
  onAppEvent(listener: (event: AppEvent) => void): () => void;
}
