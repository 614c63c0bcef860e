// IPC channel names, in a module without imports so the sandboxed preload can bundle it: a sandboxed preload
// may require only 'electron' and a few Node polyfills, not the core.
export const CONTRACT_CHANNEL = 'contract';
/** One-way notices from the native menu to the UI (e.g. an archive chosen with File > Open archive). */
export const APP_EVENT_CHANNEL = 'app-event';
/** A window asks the shell to show a case: here, or in the case's own window. */
export const WINDOW_CHANNEL = 'open-case';
