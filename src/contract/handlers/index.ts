import type { HandlerTable } from '../types.ts';
import { appHandlers } from './app.ts';
import { archiveHandlers } from './archive.ts';
import { annotationsHandlers } from './annotations.ts';
import { casesHandlers } from './cases.ts';
import { demoHandlers } from './demo.ts';
import { importHandlers } from './import.ts';
import { jobsHandlers } from './jobs.ts';
import { packageHandlers } from './package.ts';
import { queryHandlers } from './query.ts';
import { reportHandlers } from './report.ts';
import { recordsHandlers } from './records.ts';
import { verifyHandlers } from './verify.ts';
import { viewsHandlers } from './views.ts';

/** Every contract handler, registered explicitly: one file per domain. */
export const handlers: HandlerTable = {
  ...appHandlers,
  ...archiveHandlers,
  ...demoHandlers,
  ...casesHandlers,
  ...jobsHandlers,
  ...importHandlers,
  ...verifyHandlers,
  ...recordsHandlers,
  ...annotationsHandlers,
  ...viewsHandlers,
  ...queryHandlers,
  ...reportHandlers,
  ...packageHandlers,
};
