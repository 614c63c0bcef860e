import path from 'node:path';
import { AuditWsError } from '../../errors.ts';
import type { CaseHandle } from '../../case/store.ts';
import {
  DEFAULT_VERIFY_OPTIONS,
  findingsPage,
  verificationView,
  verifyCase,
  verifyOptionsView,
} from '../case-verification.ts';
import type { JobSnapshot } from '../jobs.ts';
import { sessionFor, type Session } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import {
  expectParams,
  integerArray,
  optionalChoice,
  optionalInteger,
  optionalString,
  stringArray,
} from '../validate.ts';
import type { VerifyRequestOptions } from '../workstation-types.ts';
import { caseParam } from './cases.ts';

const STATUSES = ['pass', 'fail', 'warn', 'unverifiable'] as const;

function absoluteFiles(method: string, p: Record<string, unknown>, member: string): string[] {
  return stringArray(method, p, member, 100).map((file) => {
    if (!path.isAbsolute(file)) {
      throw new AuditWsError('BAD_USAGE', `${method}: "${file}" in ${member} is not an absolute path`, { member });
    }
    return path.normalize(file);
  });
}

/** Starts a verification of the case as a job (or returns the one already running). */
/**
 * `request` may be a function of the open case, for options that depend on what the case holds (the demo's
 * TSA root among the archive's offered keys): the job then exists at once, before the case is read.
 */
export function startVerifyJob(
  session: Session,
  caseName: string,
  request: VerifyRequestOptions | ((handle: CaseHandle) => VerifyRequestOptions),
): JobSnapshot {
  const slug = session.cases.slugOf(caseName);
  const busy = session.cases.busyReason(slug);
  if (busy) throw new AuditWsError('CASE_LOCKED', busy);
  const running = session.jobs.running(slug).find((j) => j.kind === 'verify');
  if (running) {
    throw new AuditWsError(
      'CASE_LOCKED',
      `a verification of this case is already running (started ${running.startedAt}): wait for it to end, or cancel it, then run again`,
    );
  }
  const name = session.cases.workspace.summary(session.cases.workspace.locate(slug)).name;
  return session.jobs.start({ kind: 'verify', title: `Verify ${name}`, case: slug }, (job) =>
    session.cases.use(slug, (handle) => {
      const started = Date.now();
      return verifyCase(handle, typeof request === 'function' ? request(handle) : request, {
        signal: job.signal,
        onProgress: (p) => {
          const secs = (Date.now() - started) / 1000;
          const rate = secs > 0 ? p.recordsDone / secs : 0;
          const bytesRate = secs > 0 ? p.bytesDone / secs : 0;
          job.progress({
            phase: p.phase,
            done: p.recordsDone,
            unit: 'records',
            rate,
            rateUnit: 'records/s',
            ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
            ...(bytesRate > 0 && p.bytesTotal > 0 && secs > 0.5
              ? { etaSeconds: Math.max(0, (p.bytesTotal - p.bytesDone) / bytesRate) }
              : {}),
          });
        },
      });
    }),
  );
}

export const verifyHandlers = {
  'verify.options': {
    parse: (params) => ({ case: caseParam('verify.options', expectParams('verify.options', params, ['case'])) }),
    run: async (params, context) => sessionFor(context).cases.use(params.case, (h) => verifyOptionsView(h.sqlite)),
  },
  'verify.start': {
    parse: (params) => {
      const m = 'verify.start';
      const p = expectParams(m, params, [
        'case',
        'retention',
        'trustKeys',
        'trustTsa',
        'trustFingerprints',
        'trustKeyFiles',
        'trustTsaFiles',
      ]);
      return {
        case: caseParam(m, p),
        retention: optionalString(m, p, 'retention', 40) ?? DEFAULT_VERIFY_OPTIONS.retention,
        trustKeys: integerArray(m, p, 'trustKeys', 100),
        trustTsa: integerArray(m, p, 'trustTsa', 100),
        trustFingerprints: stringArray(m, p, 'trustFingerprints', 100, 200),
        trustKeyFiles: absoluteFiles(m, p, 'trustKeyFiles'),
        trustTsaFiles: absoluteFiles(m, p, 'trustTsaFiles'),
      };
    },
    run: async ({ case: c, ...rest }, context) =>
      startVerifyJob(sessionFor(context), c, { ...DEFAULT_VERIFY_OPTIONS, ...rest }),
  },
  'verify.latest': {
    parse: (params) => {
      const p = expectParams('verify.latest', params, ['case', 'runId']);
      const runId = optionalInteger('verify.latest', p, 'runId', { min: 1 });
      return runId === undefined
        ? { case: caseParam('verify.latest', p) }
        : { case: caseParam('verify.latest', p), runId };
    },
    run: async (params, context) =>
      sessionFor(context).cases.use(params.case, (h) => verificationView(h.sqlite, params.runId)),
  },
  'verify.findings': {
    parse: (params) => {
      const m = 'verify.findings';
      const p = expectParams(m, params, ['case', 'runId', 'offset', 'limit', 'status', 'check', 'stream']);
      const out: {
        case: string;
        runId?: number;
        offset: number;
        limit: number;
        status?: string;
        check?: string;
        stream?: string;
      } = {
        case: caseParam(m, p),
        offset: optionalInteger(m, p, 'offset', {}, 0) as number,
        limit: optionalInteger(m, p, 'limit', { min: 1, max: 1000 }, 100) as number,
      };
      const runId = optionalInteger(m, p, 'runId', { min: 1 });
      if (runId !== undefined) out.runId = runId;
      const status = optionalChoice(m, p, 'status', STATUSES);
      if (status) out.status = status;
      const check = optionalString(m, p, 'check', 100);
      if (check) out.check = check;
      const stream = optionalString(m, p, 'stream', 200);
      if (stream) out.stream = stream;
      return out;
    },
    run: async (params, context) => {
      const { case: c, offset = 0, limit = 100, ...query } = params;
      return sessionFor(context).cases.use(c, (h) => findingsPage(h.sqlite, { ...query, offset, limit }));
    },
  },
} satisfies Partial<HandlerTable>;
