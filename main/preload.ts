// Runs sandboxed before the UI: exposes exactly `window.auditWs` (invoke, onAppEvent, openCase), never ipcRenderer
// itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppEvent, CaseWindowAnswer, ContractResponse, DesktopBridge } from '../src/contract/types.ts';
import { APP_EVENT_CHANNEL, CONTRACT_CHANNEL, WINDOW_CHANNEL } from './channels.ts';

const bridge: DesktopBridge = {
  invoke: (method: string, params?: unknown): Promise<ContractResponse> =>
    ipcRenderer.invoke(CONTRACT_CHANNEL, { method, params }),
  onAppEvent: (listener: (event: AppEvent) => void) => {
    // The IPC event object (with its sender) stays here: the UI receives only the plain payload.
    const forward = (_event: IpcRendererEvent, payload: AppEvent) => listener(payload);
    ipcRenderer.on(APP_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.off(APP_EVENT_CHANNEL, forward);
  },
  openCase: (hash: string): Promise<CaseWindowAnswer> => ipcRenderer.invoke(WINDOW_CHANNEL, { hash }),
};

contextBridge.exposeInMainWorld('auditWs', bridge);
