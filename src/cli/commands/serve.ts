import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createDispatcher } from '../../contract/dispatcher.ts';
import { closeSessions } from '../../contract/session.ts';
import { resolveWorkspace } from '../../contract/workspace.ts';
import { AuditWsError } from '../../errors.ts';
import { defaultRendererDir, openInBrowser, startServer, type RunningServer } from '../../server/index.ts';

interface ServeOptions {
  port?: number;
  open: boolean;
  workspace?: string;
  renderer?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 picks a free port)');
  }
  return port;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the workstation UI to a local browser (browser mode, 127.0.0.1 only)')
    .option('--port <n>', 'port to listen on (default: a free port)', parsePort)
    .option('--no-open', 'print the URL but do not open the system browser')
    .option('--workspace <dir>', 'workspace folder (default: AUDIT_WS_WORKSPACE or the OS app-data folder)')
    .option('--renderer <dir>', 'folder of the built UI (default: dist/renderer of this installation)')
    .action(async (options: ServeOptions) => {
      const server = await startBrowserMode(options);
      await untilInterrupted(server);
    });
}

/** Starts the server and prints the URL; shared with bin/start.mjs through `audit-ws serve`. */
export async function startBrowserMode(options: ServeOptions): Promise<RunningServer> {
  const staticDir = path.resolve(options.renderer ?? defaultRendererDir());
  if (!existsSync(path.join(staticDir, 'index.html'))) {
    throw new AuditWsError(
      'NOT_FOUND',
      `${staticDir}: the UI is not built (no index.html): run \`npm start\` or \`npx vite build -c vite.renderer.config.ts\``,
      { file: staticDir },
    );
  }
  const workspace = options.workspace ? path.resolve(options.workspace) : resolveWorkspace();
  const server = await startServer({
    staticDir,
    port: options.port,
    dispatcher: createDispatcher({ mode: 'browser', workspace }),
  });
  process.stdout.write(
    `AI Audit Workstation (browser mode) on ${server.origin}\n` +
      `Workspace: ${workspace}\n` +
      `Open this address (it carries this run's access token):\n  ${server.url}\n` +
      `Press Ctrl+C to stop.\n`,
  );
  if (options.open && !(await openInBrowser(server.url))) {
    process.stdout.write('(could not start a browser here: open the address above yourself)\n');
  }
  return server;
}

function untilInterrupted(server: RunningServer): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Cancel running imports (rolled back) and close the cases before the server goes.
      void closeSessions()
        .catch(() => undefined)
        .then(() => server.close())
        .finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
