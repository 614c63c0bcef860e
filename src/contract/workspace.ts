import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DemoOptions } from '../demo/generator.ts';
import { AuditWsError } from '../errors.ts';
import { toPlainJson } from './plain-json.ts';
import type { DemoDescription } from './types.ts';

export const APP_DIR_NAME = 'ai-audit-workstation';

/**
 * The folder where the workstation keeps its own data (demo archive, later cases): AUDIT_WS_WORKSPACE when set,
 * else the per-user application-data folder of the OS. Electron and browser mode both use this (not Electron's
 * userData) so that both modes see the same cases.
 */
export function resolveWorkspace(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.AUDIT_WS_WORKSPACE) return path.resolve(env.AUDIT_WS_WORKSPACE);
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  const dataHome = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : null;
  return path.join(dataHome ?? path.join(home, '.local', 'share'), APP_DIR_NAME);
}

/** Where the demo archive and the generator's summary of it live inside a workspace. */
export function demoLocation(workspace: string): { archive: string; summary: string } {
  const dir = path.join(workspace, 'demo');
  return { archive: path.join(dir, 'archive'), summary: path.join(dir, 'summary.json') };
}

export async function describeDemo(workspace: string): Promise<DemoDescription> {
  const where = demoLocation(workspace);
  if (!existsSync(where.archive) || !existsSync(where.summary)) return { path: where.archive, exists: false };
  let summary: DemoDescription['summary'];
  try {
    summary = JSON.parse(await readFile(where.summary, 'utf8'));
  } catch (err) {
    throw new AuditWsError('UNREADABLE_INPUT', `${where.summary}: demo summary is not valid JSON (${String(err)})`, {
      file: where.summary,
    });
  }
  return { path: where.archive, exists: true, summary };
}

export type DemoSize = Omit<DemoOptions, 'out' | 'tamper'>;

/**
 * Generates the demo archive into the workspace unless it is already there. It is written beside its final place
 * and renamed, so an interrupted first run never leaves a half archive that later looks complete.
 */
export async function ensureDemoArchive(
  workspace: string,
  size: DemoSize = {},
): Promise<DemoDescription & { created: boolean }> {
  const existing = await describeDemo(workspace);
  if (existing.exists) return { ...existing, created: false };
  const where = demoLocation(workspace);
  const staging = `${where.archive}.partial-${process.pid}`;
  await mkdir(path.dirname(where.archive), { recursive: true });
  await rm(staging, { recursive: true, force: true });
  await rm(where.archive, { recursive: true, force: true });
  try {
    // Loaded on first use only: the generator is needed once per workspace, not on every start of the server.
    const { generateDemoArchive } = await import('../demo/generator.ts');
    const summary = await generateDemoArchive({ ...size, out: staging });
    await rename(staging, where.archive);
    // The generator reports the folder it wrote, which was the staging one.
    const final = { ...summary, out: where.archive };
    await writeFile(where.summary, `${JSON.stringify(toPlainJson(final), null, 2)}\n`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { ...(await describeDemo(workspace)), created: true };
}
