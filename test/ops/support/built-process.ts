import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testTempDir } from '../../support/temp-dir.js';

// The built apps as operators run them: `npm run build` output started with `node`, in its own process.
// The build goes to a private folder inside the project (so its imports find node_modules), never to dist/,
// which other processes on this machine may be running from.

const root = process.cwd();

export interface Build {
  dir: string;
  remove(): void;
}

export async function buildApps(): Promise<Build> {
  const { compile } = (await import(join(root, 'scripts', 'compile.mjs'))) as { compile(outDir: string): Promise<number> };
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'vb-ops-build-'));
  await compile(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `node <entry>` with exactly `env` (plus PATH): nothing of jest's environment leaks in. */
export function spawnNode(entry: string, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [entry], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process ended before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `url` until it answers 200 (or the process dies, or the time is up). */
export async function waitUntilReady(url: string, spawned: Spawned, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) throw new Error(`the process ended before it was ready:\n${spawned.output()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${spawned.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dataDirs: string[] = [];

/**
 * What a built worker needs to run on a test app's database, as a deployment runs it: production mode, the app's
 * DATABASE_URL (and DATABASE_DIRECT_URL beside it when that is PgBouncer: without it the process sends its wait
 * limits as startup parameters, which PgBouncer refuses), the test JWT secret, a fresh DATA_DIR, info logs (its
 * "worker started" line) and a small pool.
 */
export function workerProcessEnv(t: { databaseUrl: string; directDatabaseUrl: string; pgbouncer: boolean }, jwtSecret: string): Record<string, string> {
  return {
    NODE_ENV: 'production', DATABASE_URL: t.databaseUrl, ...(t.pgbouncer && { DATABASE_DIRECT_URL: t.directDatabaseUrl }), JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'info', DATA_DIR: tempDataDir(), DATABASE_POOL_SIZE: '2',
  };
}

/** A fresh DATA_DIR; `removeTempDataDirs()` deletes them all. */
export function tempDataDir(): string {
  const dir = testTempDir('vb-ops-data-');
  dataDirs.push(dir);
  return dir;
}

export function removeTempDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
