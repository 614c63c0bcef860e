// What the shell does with cases besides windows, without Electron (unit tested against a real workspace in
// test/unit/electron-windows.test.ts): which case a folder chosen in File › Open case… is, and what closing a
// case's window does to the case (its running tasks are cancelled and the case is closed, which releases the case
// lock so the CLI or another workstation can write it again).
import path from 'node:path';
import type { JobSnapshot } from '../src/contract/jobs.ts';
import type { Session } from '../src/contract/session.ts';
import type { Workspace } from '../src/case/workspace.ts';
import { AuditWsError } from '../src/errors.ts';

/**
 * The case a folder chosen in File › Open case… holds: a case folder of this workspace (or any folder inside one,
 * e.g. its exports). Anything else is refused with a sentence saying where the cases are.
 */
export function caseOfFolder(workspace: Workspace, folder: string): string {
  const rel = path.relative(workspace.casesDir, path.resolve(folder));
  const first = rel.split(path.sep)[0];
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const slug = inside ? workspace.find(first) : undefined;
  if (slug === undefined || path.basename(slug) !== first) {
    throw new AuditWsError(
      'NOT_FOUND',
      `${folder} is not a case of this workspace. Cases are the folders in ${workspace.casesDir}; to look at an archive, use File › Open archive…, or create a case from the case list and import it there.`,
      { file: folder },
    );
  }
  return first;
}

/**
 * The question to ask before closing a case's window while tasks of that case run (undefined: nothing runs, close
 * without asking). Closing cancels them: an import rolls back, a report leaves no half-written files.
 */
export function closeWindowQuestion(caseName: string, running: readonly JobSnapshot[]): string | undefined {
  if (running.length === 0) return undefined;
  const list = running.map((j) => `• ${j.title}${j.progress?.phase ? ` (${j.progress.phase})` : ''}`).join('\n');
  const what = running.length === 1 ? 'This task is' : `These ${running.length} tasks are`;
  return `${what} still running in case “${caseName}”:\n${list}\n\nClosing the window cancels ${running.length === 1 ? 'it' : 'them'}; the case stays as it was before ${running.length === 1 ? 'it' : 'they'} started.`;
}

/**
 * Releases a case whose window closed: cancels its running jobs, waits for them to end, then closes the case's
 * handle (and so its lock). Never throws: the window is gone, there is nobody to tell.
 */
export async function releaseCase(session: Session, slug: string): Promise<void> {
  const running = session.jobs.running(slug);
  for (const job of running) {
    try {
      session.jobs.cancel(job.id);
    } catch {
      // finished meanwhile
    }
  }
  await Promise.all(running.map((job) => session.jobs.settled(job.id).catch(() => undefined)));
  await session.cases.close(slug).catch(() => undefined);
}
