import { spawn } from 'node:child_process';

/** How long an opener may run before we take it as having started a browser (some block until it closes). */
const OPENER_GRACE_MS = 2000;

/**
 * Asks the desktop to open `url` in the default browser. Resolves false when that visibly failed (no opener, or
 * it exited with an error, as xdg-open does on a machine without a desktop session).
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  const [command, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true });
      const timer = setTimeout(() => {
        child.unref();
        resolve(true);
      }, OPENER_GRACE_MS);
      timer.unref();
      child.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    } catch {
      resolve(false);
    }
  });
}
