// `npm start`: the whole product on one machine. Without DATABASE_URL a real PostgreSQL runs with its data under
// DATA_DIR/pg (./.data/pg), kept across restarts, and DATA_DIR/postgres.json tells one-off commands where it is
// while it runs. Migrations (with the seeded tiers) run first, then the API and the worker start as two processes.
// SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the apps first (the worker may finish its job), then the database.
// Run it as `npm start` (package.json `exec`s this file, so npm's signals reach it) or `node scripts/start.mjs`
// after `npm run build`.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { validateEnvironment, EnvironmentError } = await import(join(dist, 'libs/common/src/index.js'));
const { migrateDatabase, sessionDatabaseUrl, startOwnedEmbedded, findRunningEmbedded, busyError, errorLine, EmbeddedDatabaseError } = await import(join(dist, 'libs/database/src/index.js'));

const log = (msg) => console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), pid: process.pid, name: 'start', msg }));
/** A failure before anything runs: one line, exit 1. */
const fail = async (line) => {
  console.error(`npm start: ${line}`);
  if (database) await database.stop().catch(() => undefined);
  process.exit(1);
};

let database;
let children = [];
/** starting → running → stopping. A signal before `running` is kept and acted on at the next step. */
let phase = 'starting';
let stopRequested = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => (phase === 'running' ? stop(0) : (stopRequested = true)));
const stopIfAsked = async () => {
  if (stopRequested) await stop(0);
};

let env;
try {
  env = validateEnvironment(process.env); // also keeps a generated JWT_SECRET in DATA_DIR outside production
} catch (error) {
  await fail(error instanceof EnvironmentError ? error.message : errorLine(error));
}

if (!env.DATABASE_URL) {
  const running = await findRunningEmbedded(env.DATA_DIR);
  if (running) await fail(busyError(running).message);
}
await checkPortFree(env.PORT);
await stopIfAsked();

let databaseUrl = env.DATABASE_URL;
let where = 'database from DATABASE_URL';
if (!databaseUrl) {
  try {
    database = await startOwnedEmbedded(env.DATA_DIR, 'npm start');
  } catch (error) {
    await fail(error instanceof EmbeddedDatabaseError ? error.message : `could not start the embedded database: ${errorLine(error)}`);
  }
  if (database.note) log(database.note);
  databaseUrl = database.url;
  where = `database embedded at 127.0.0.1:${database.port} (psql -h 127.0.0.1 -p ${database.port} -U postgres vendor_billing, password postgres; data in ${shown(database.dataDir)})`;
}
await stopIfAsked();

let applied;
try {
  // DATABASE_DIRECT_URL (validated to come with DATABASE_URL) when DATABASE_URL is a transaction-mode pooler.
  applied = await migrateDatabase(sessionDatabaseUrl({ DATABASE_URL: databaseUrl, DATABASE_DIRECT_URL: env.DATABASE_DIRECT_URL }));
} catch (error) {
  await fail(`migrations failed: ${errorLine(error)}`);
}
log(`${where}; ${applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations up to date'}`);
await stopIfAsked();

const childEnv = { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: env.JWT_SECRET };
children = [
  { name: 'api', process: fork(join(dist, 'apps/api/src/main.js'), { env: { ...childEnv, APP_NAME: 'vendor-billing-api' } }) },
  { name: 'worker', process: fork(join(dist, 'apps/worker/src/main.js'), { env: { ...childEnv, APP_NAME: 'vendor-billing-worker' } }) },
];
phase = 'running';
await stopIfAsked();
for (const child of children) {
  child.process.on('exit', (code, signal) => {
    if (phase === 'stopping') return;
    // Exit 0: it stopped on a signal of its own (Ctrl-C reaches the whole process group), so we stop too.
    if (code === 0) return stop(0);
    console.error(`npm start: the ${child.name} exited (${signal ?? `code ${code}`}); stopping the rest`);
    stop(code ?? 1);
  });
}

/** The apps first (SIGTERM: the API drains, the worker lets a running job end), then the database, then exit. */
async function stop(code) {
  if (phase === 'stopping') return;
  phase = 'stopping';
  const APP_GRACE_MS = 10_000;
  await Promise.all(children.map(({ process: child }) => new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), APP_GRACE_MS).unref();
  })));
  if (database) await database.stop();
  log('stopped');
  process.exit(code);
}

/** A path relative to the current folder when it is inside it, else absolute. */
function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** A busy port in one line, before the database starts (the API would otherwise die with EADDRINUSE). */
async function checkPortFree(port) {
  await new Promise((done) => {
    const server = createServer();
    server.once('error', (error) => {
      const why = error.code === 'EADDRINUSE' ? 'is already in use (another `npm start`, or another program)' : `cannot be used (${error.code ?? error.message})`;
      void fail(`port ${port} ${why}: stop that, or set PORT to a free port.`);
    });
    server.listen(port, () => server.close(done));
  });
}
