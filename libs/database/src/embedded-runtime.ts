import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { embeddedUrl, EmbeddedDatabaseError, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { migrateDatabase } from './migrate.js';

// The embedded database of a DATA_DIR is shared by whatever runs on it: `npm start` (or a one-off command that
// found nothing running) writes DATA_DIR/postgres.json while it runs the server, and removes it on stop. Other
// commands read it to use that server instead of starting a second one on the same data.

export interface EmbeddedRunInfo {
  /** The postmaster's pid. */
  pid: number;
  port: number;
  database: string;
  /** The process that started it and will stop it. */
  owner_pid: number;
  owner: string;
  data_dir: string;
  started_at: string;
}

export const runFileOf = (dataDir: string) => join(dataDir, 'postgres.json');
export const embeddedDataDirOf = (dataDir: string) => join(dataDir, 'pg');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const finish = (ok: boolean) => (socket.destroy(), done(ok));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('timeout', () => finish(false));
  });
}

/** The postmaster of `info`, when /proc shows it (so a reused pid of another program is never signalled). */
function isOurPostgres(info: EmbeddedRunInfo): boolean {
  try {
    return readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes(info.data_dir);
  } catch {
    return false;
  }
}

/**
 * The embedded server running on `dataDir`, or undefined. A stale file (its server gone or not answering) is
 * removed; a server whose owner died without stopping it (killed with SIGKILL) is stopped, then forgotten.
 */
export async function findRunningEmbedded(dataDir: string): Promise<EmbeddedRunInfo | undefined> {
  const file = runFileOf(dataDir);
  let info: EmbeddedRunInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedRunInfo;
  } catch {
    return undefined;
  }
  if (alive(info.pid) && (await portAnswers(info.port))) {
    if (alive(info.owner_pid)) return info;
    if (isOurPostgres(info)) {
      process.kill(info.pid, 'SIGINT');
      for (let i = 0; i < 100 && alive(info.pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
  }
  rmSync(file, { force: true });
  return undefined;
}

export interface OwnedEmbedded extends EmbeddedDatabase {
  runFile: string;
}

/** Starts the server on `dataDir` and publishes it in the run file until stop(). Throws a one-line error when busy. */
export async function startOwnedEmbedded(dataDir: string, owner: string): Promise<OwnedEmbedded> {
  const running = await findRunningEmbedded(dataDir);
  if (running) throw busyError(running);
  const database = await startEmbeddedPostgres({ dataDir: embeddedDataDirOf(dataDir) });
  const runFile = runFileOf(dataDir);
  const info: EmbeddedRunInfo = {
    pid: database.pid,
    port: database.port,
    database: new URL(database.url).pathname.slice(1),
    owner_pid: process.pid,
    owner,
    data_dir: database.dataDir,
    started_at: new Date().toISOString(),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(runFile, `${JSON.stringify(info, null, 2)}\n`);
  return {
    ...database,
    runFile,
    stop: async () => {
      await database.stop();
      rmSync(runFile, { force: true });
    },
  };
}

export function busyError(running: EmbeddedRunInfo): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(
    `\`${running.owner}\` (pid ${running.owner_pid}) is already running on this data (its database is at 127.0.0.1:${running.port}); stop it first, or set DATA_DIR to another folder.`,
    'busy',
  );
}

export interface CommandDatabase {
  url: string;
  /** Whether this command started the embedded server (and will stop it). */
  startedHere: boolean;
  close(): Promise<void>;
}

/**
 * The database of a one-off command (`job`, `migration:*`, `stripe:sync-catalog`): DATABASE_URL when set, else
 * the embedded server `npm start` runs on DATA_DIR, else one started now (migrated when `migrate`) and stopped by
 * close(), or by SIGINT/SIGTERM.
 */
export async function openCommandDatabase(options: { databaseUrl?: string; dataDir: string; owner: string; migrate?: boolean }): Promise<CommandDatabase> {
  if (options.databaseUrl) return { url: options.databaseUrl, startedHere: false, close: async () => undefined };
  const dataDir = resolve(options.dataDir);
  for (let tries = 0; ; tries++) {
    const running = await findRunningEmbedded(dataDir);
    if (running) return { url: embeddedUrl(running.port, running.database), startedHere: false, close: async () => undefined };
    try {
      const database = await startOwnedEmbedded(dataDir, options.owner);
      const stopOnSignal = (signal: NodeJS.Signals) => void database.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      process.once('SIGINT', stopOnSignal);
      process.once('SIGTERM', stopOnSignal);
      const close = async () => {
        process.off('SIGINT', stopOnSignal);
        process.off('SIGTERM', stopOnSignal);
        await database.stop();
      };
      if (options.migrate) await migrateDatabase(database.url).catch(async (error: unknown) => (await close(), Promise.reject(error)));
      return { url: database.url, startedHere: true, close };
    } catch (error) {
      // Someone else is starting it right now (its run file is not written yet): wait for it, then use it.
      const busy = error instanceof EmbeddedDatabaseError && error.reason === 'busy';
      if (!busy || tries >= 30) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** One line for any thrown value: no bare `undefined`, no stack. */
export function errorLine(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (error === undefined || error === null) return 'unknown error (nothing was thrown with it)';
  return typeof error === 'string' ? error : JSON.stringify(error);
}
