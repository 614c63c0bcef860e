// The desktop app's report printer: Electron's webContents.printToPDF in an offscreen, sandboxed window with
// JavaScript disabled, on an in-memory session whose network filter lets through only the one temporary file
// being printed. It implements the core's PdfRenderer (src/report/pdf.ts) and reaches the report writer through
// the contract's HandlerContext, so the core never imports Electron.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, session, type Session } from 'electron';
import type { PdfRenderer } from '../src/report/pdf.ts';
import { PDF_PARTITION, PDF_WINDOW_PREFERENCES, isPdfRequestAllowed, printToPdfOptions } from './policy.ts';

/** The temporary files being printed right now: the only URLs the printer's session loads. */
const printing = new Set<string>();
let printerSession: Session | undefined;

function pdfSession(): Session {
  if (printerSession) return printerSession;
  const ses = session.fromPartition(PDF_PARTITION, { cache: false });
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isPdfRequestAllowed(details.url, printing) }),
  );
  printerSession = ses;
  return ses;
}

export function electronPdfRenderer(): PdfRenderer {
  return async (html, { footerText }) => {
    // A file rather than a data: URL, which Chromium caps at 2 MB; the folder is private to this print.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-pdf-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html, { mode: 0o600 });
    const url = pathToFileURL(file).href;
    printing.add(url);
    const window = new BrowserWindow({
      show: false,
      width: 1240,
      height: 1754,
      webPreferences: { ...PDF_WINDOW_PREFERENCES, session: pdfSession() },
    });
    try {
      await window.loadURL(url);
      const bytes = await window.webContents.printToPDF(printToPdfOptions(footerText));
      return Buffer.from(bytes);
    } finally {
      printing.delete(url);
      window.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
