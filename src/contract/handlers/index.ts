import type { HandlerTable } from '../types.ts';
import { appHandlers } from './app.ts';
import { archiveHandlers } from './archive.ts';
import { demoHandlers } from './demo.ts';

/** Every contract handler, registered explicitly: one file per domain. */
export const handlers: HandlerTable = { ...appHandlers, ...archiveHandlers, ...demoHandlers };
