import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { Dispatcher } from '../src/contract/dispatcher.ts';
import type { ContractResponse } from '../src/contract/types.ts';
import { AuditWsError, toErrorPayload } from '../src/errors.ts';
import { CONTRACT_CHANNEL } from './channels.ts';
import { isAppUrl, parseContractRequest } from './policy.ts';

/**
 * The one IPC entry point: `contract` requests from the app's own frames, answered by the same dispatcher as
 * browser mode. Errors come back as the {ok:false} payload rather than a rejected promise, because Electron
 * would flatten a thrown error into a string and lose its code and details.
 */
export function registerContractIpc(dispatcher: Dispatcher, devServerUrl?: string): void {
  ipcMain.handle(CONTRACT_CHANNEL, async (event: IpcMainInvokeEvent, payload: unknown): Promise<ContractResponse> => {
    try {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!isAppUrl(frameUrl, devServerUrl)) {
        throw new AuditWsError('BAD_USAGE', `request refused: frame "${frameUrl}" is not part of this app`);
      }
      const { method, params } = parseContractRequest(payload);
      return await dispatcher.handle(method, params);
    } catch (err) {
      return toErrorPayload(err);
    }
  });
}
