// The one typed map of every request the UI can make, shared by the dispatcher (src/contract/dispatcher.ts),
// the Electron IPC bridge (main/windows.ts), the browser-mode server (src/server/) and the renderer (renderer/api.ts,
// which may only `import type` from here). Adding a request means: a line here, a handler in handlers/<domain>.ts.
import type { inspectArchive } from '../archive/inspect.ts';
import type { generateDemoArchive } from '../demo/generator.ts';
import type { ErrorPayload } from '../errors.ts';
import type { AnomalyResult } from '../query/anomalies/index.ts';
import type { AnomalyParamSpec } from '../query/anomalies/types.ts';
import type { DecisionFilters } from '../query/filters.ts';
import type { FairnessParams, FairnessResult } from '../query/fairness.ts';
import type { OversightParams, OversightResult } from '../query/oversight.ts';
import type { SearchParams, SearchResult } from '../query/search.ts';
import type { FairnessOptions } from './fairness-options.ts';
import type { FairnessRequest } from '../report/context.ts';
import type { PdfRenderer } from '../report/pdf.ts';
import type { ReportFormat } from '../report/write.ts';
import type { TimelineParams, TimelineResult } from '../query/timeline.ts';
import type { JobSnapshot } from './jobs.ts';
import type { JsonValue, Jsonified } from './plain-json.ts';
import type {
  Annotation,
  CaseList,
  CaseListItem,
  CaseOverview,
  DemoCaseState,
  FindingRow,
  Page,
  PreviewItem,
  RecordKindName,
  RecordView,
  RejectRow,
  SavedView,
  VerificationView,
  VerifyOptionsView,
  VerifyRequestOptions,
} from './workstation-types.ts';

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
  'demo.ensureCase': { params: Record<string, never>; result: DemoCaseState };

  'cases.list': { params: Record<string, never>; result: CaseList };
  'cases.create': { params: { name: string; description?: string }; result: CaseListItem };
  'cases.get': { params: { case: string }; result: CaseOverview };
  'cases.delete': { params: { case: string }; result: { name: string } };

  'jobs.get': { params: { id: string; afterVersion?: number; waitMs?: number }; result: JobSnapshot };
  'jobs.cancel': { params: { id: string }; result: JobSnapshot };
  'jobs.list': { params: { case?: string }; result: JobSnapshot[] };

  'import.preview': { params: { paths: string[] }; result: { items: PreviewItem[] } };
  'import.start': { params: { case: string; paths: string[]; strict?: boolean; force?: boolean }; result: JobSnapshot };
  'import.rejects': {
    params: { case: string; importId?: number; offset?: number; limit?: number };
    result: Page<RejectRow>;
  };

  'verify.options': { params: { case: string }; result: VerifyOptionsView };
  'verify.start': { params: { case: string } & Partial<VerifyRequestOptions>; result: JobSnapshot };
  'verify.latest': { params: { case: string; runId?: number }; result: VerificationView | null };
  'verify.findings': {
    params: {
      case: string;
      runId?: number;
      offset?: number;
      limit?: number;
      status?: string;
      check?: string;
      stream?: string;
    };
    result: Page<FindingRow>;
  };

  'records.get': {
    params: {
      case: string;
      kind?: RecordKindName;
      target?: string;
      stream?: string;
      seq?: number;
      file?: string;
      line?: number;
      row?: number;
    };
    result: { matches: RecordView[] };
  };

  'annotations.list': { params: { case: string; target?: string }; result: Annotation[] };
  'annotations.add': {
    params: { case: string; target: string; text?: string; tags?: string[]; starred?: boolean };
    result: Annotation;
  };
  'annotations.update': {
    params: { case: string; id: number; text?: string; tags?: string[]; starred?: boolean };
    result: Annotation;
  };
  'annotations.delete': { params: { case: string; id: number }; result: { id: number } };

  /** `supersede`: a key of the asking screen; its newer count or facet request stops an unfinished one. */
  'query.search': { params: { case: string; supersede?: string } & SearchParams; result: SearchResult };
  'query.anomalies': {
    params: {
      case: string;
      only?: string[];
      params?: Record<string, Record<string, unknown>>;
      scope?: DecisionFilters;
      limit?: number;
      offset?: number;
    };
    result: { filters: AnomalyFilterInfo[]; results: AnomalyResult[] };
  };
  'query.oversight': { params: { case: string } & OversightParams; result: OversightResult };
  'query.fairness': { params: { case: string } & FairnessParams; result: FairnessResult };
  'query.fairnessOptions': { params: { case: string }; result: FairnessOptions };
  'query.timeline': { params: { case: string } & TimelineParams; result: TimelineResult };

  'report.options': {
    params: { case: string };
    result: {
      formats: ReportFormat[];
      exportsDir: string;
      exporters: {
        name: string;
        description: string;
        params: { name: string; description: string; required?: boolean }[];
      }[];
    };
  };
  'report.start': {
    params: {
      case: string;
      outDir?: string;
      formats?: ReportFormat[];
      fairness?: FairnessRequest[];
      timelines?: string[];
    };
    result: JobSnapshot;
  };
  'package.start': {
    params: {
      case: string;
      out?: string;
      decisionIds?: string[];
      select?: string;
      related?: boolean;
      formats?: ReportFormat[];
      signingKeyFile?: string;
    };
    result: JobSnapshot;
  };
  'package.verify': { params: { path: string; trustKeys?: string[]; trustTsa?: string[] }; result: JobSnapshot };
  /** Opens an evidence package as a new read-only case; the job's result is a PackageOpenResult. */
  'package.open': {
    params: { path: string; name: string; description?: string; trustKeys?: string[]; trustTsa?: string[] };
    result: JobSnapshot;
  };
  'export.csv': {
    params: { case: string; exporter: string; params?: Record<string, string>; out?: string };
    result: JobSnapshot;
  };

  'views.list': { params: { case: string }; result: SavedView[] };
  'views.save': { params: { case: string; name: string; definition: JsonValue }; result: SavedView };
  'views.delete': { params: { case: string; id: number }; result: { id: number } };
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
  /** Prints report PDFs; absent: the system Chromium through playwright-core (the desktop app injects Electron's). */
  pdf?: PdfRenderer;
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

/** The desktop shell's answer to "show this case": in this window, or in the case's own window (focused or new). */
export type CaseWindowAnswer = { ok: true; where: 'here' | 'elsewhere' } | ErrorPayload;

/** What the Electron preload exposes as `window.auditWs`: requests in, app events out, nothing else. */
export interface DesktopBridge {
  invoke(method: string, params?: unknown): Promise<ContractResponse>;
  /** Returns the function that removes the listener. */
  onAppEvent(listener: (event: AppEvent) => void): () => void;
  /**
   * One window per case: asks the shell to show the case route `hash` (`#/case/<slug>/...`). Absent in bridges
   * that are not the desktop shell's (tests), which show every case in place.
   */
  openCase?(hash: string): Promise<CaseWindowAnswer>;
}

// The investigator's result shapes, for the renderer (`import type` only) and the hosts.
export type * from './workstation-types.ts';
export type { TimelineEvent, TimelineParams, TimelineResult } from '../query/timeline.ts';
export type { SearchItem, SearchParams, SearchResult, FacetCounts } from '../query/search.ts';
export type { AnomalyResult, AnomalyItem } from '../query/anomalies/index.ts';
export type { DecisionFilters } from '../query/filters.ts';
export type { OversightParams, OversightResult } from '../query/oversight.ts';
export type { FairnessParams, FairnessResult, GroupStats } from '../query/fairness.ts';
export type { FairnessOptions } from './fairness-options.ts';
export type { FairnessRequest } from '../report/context.ts';
export type { ReportFormat } from '../report/write.ts';
export type { PackageVerifyReport } from '../package/verify.ts';
export type { PackageOpenResult } from '../package/open-case.ts';
export type { RowRef, Integrity } from '../query/integrity.ts';

/** An anomaly filter as the UI lists it: what it flags, in one sentence, and its parameters. */
export interface AnomalyFilterInfo {
  id: string;
  title: string;
  explanation: string;
  subject: 'decision' | 'review' | 'decision-or-review' | 'hour';
  params: (Omit<AnomalyParamSpec, 'choices'> & { choices?: string[] })[];
}
