import path from 'node:path';
import { AuditWsError } from '../../errors.ts';
import { openPackageAsCase, packageOpenResult } from '../../package/open-case.ts';
import type { JobProgress } from '../jobs.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, optionalString, requireAbsolutePath, requireString, stringArray } from '../validate.ts';

// "Open evidence package" (src/package/open-case.ts) as a job: a new read-only case whose evidence is the
// package's records and whose verification is the package's. Reading, importing and verifying a package of
// thousands of records takes seconds, so it reports its phase and can be cancelled (the case is then removed).

/** Trust given as key files (absolute paths) or SPKI SHA-256 fingerprints. */
function trustPins(method: string, p: Record<string, unknown>, member: string): string[] {
  return stringArray(method, p, member, 50, 4096).map((v) => (path.isAbsolute(v) ? path.normalize(v) : v));
}

export const packageHandlers = {
  'package.open': {
    parse: (params) => {
      const m = 'package.open';
      const p = expectParams(m, params, ['path', 'name', 'description', 'trustKeys', 'trustTsa']);
      const out: { path: string; name: string; description?: string; trustKeys: string[]; trustTsa: string[] } = {
        path: requireAbsolutePath(m, p, 'path'),
        name: requireString(m, p, 'name', 200),
        trustKeys: trustPins(m, p, 'trustKeys'),
        trustTsa: stringArray(m, p, 'trustTsa', 50).map((v) => path.normalize(v)),
      };
      const description = optionalString(m, p, 'description', 2000);
      if (description !== undefined) out.description = description;
      return out;
    },
    run: async (params, context) => {
      const session = sessionFor(context);
      // A taken name is refused at once, in the form, rather than as a failed task.
      const wanted = params.name.trim().toLowerCase();
      if (session.cases.workspace.list().some((c) => c.name.toLowerCase() === wanted))
        throw new AuditWsError(
          'BAD_USAGE',
          `a case named "${params.name.trim()}" already exists: choose another name`,
          {
            member: 'name',
          },
        );
      return session.jobs.start(
        { kind: 'package', title: `Open evidence package ${path.basename(params.path)} as "${params.name}"` },
        async (job) => {
          const opened = await openPackageAsCase(session.cases.workspace, params.path, {
            name: params.name,
            actor: session.cases.actor,
            ...(params.description ? { description: params.description } : {}),
            trustKeys: params.trustKeys,
            trustTsa: params.trustTsa,
            signal: job.signal,
            onProgress: (p) => {
              const progress: JobProgress = { phase: p.phase };
              if (p.fraction !== undefined) progress.fraction = p.fraction;
              if (p.detail) progress.detail = p.detail;
              if (p.import) {
                progress.done = p.import.recordsDone;
                progress.unit = 'records';
                if (p.import.recordsTotal !== undefined) progress.total = p.import.recordsTotal;
              }
              job.progress(progress);
            },
          });
          return packageOpenResult(opened);
        },
      );
    },
  },
} satisfies Partial<HandlerTable>;
