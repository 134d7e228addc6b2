// One PostgreSQL for the whole run: the embedded one, or the server of TEST_DATABASE_URL (never DATABASE_URL,
// so a test run cannot wipe a real database). The real migrations build a template database once; each test
// file then gets its own copy of it (test/support/database.ts), so files run in parallel without sharing rows.
//
// PgBouncer (transaction mode) runs in front of that server for the whole run: TEST_PGBOUNCER_URL is its URL for
// the server's `postgres` database (the same credentials, another port; swap the database name as needed).
//
// jest loads this file outside its ESM transform, so it compiles the sources with SWC (as `npm run build`
// does, about a second) into a private folder and takes the migrations from there.
import 'reflect-metadata';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { compile, root } from '../../scripts/compile.mjs';
import { startPgbouncer } from './pgbouncer.mjs';

export default async function globalSetup() {
  const started = Date.now();
  // Every temporary folder of the run goes under this one (test/support/temp-dir.ts); the teardown removes it.
  process.env.VB_TEST_TMP = mkdtempSync(join(tmpdir(), 'vb-test-run-'));
  chmodSync(process.env.VB_TEST_TMP, 0o755); // for the embedded PostgreSQL's `postgres` user when run as root
  const buildDir = join(root, 'node_modules', '.cache', 'vb-test', String(process.pid));
  await compile(buildDir);
  const { dataSourceOptions, freePort, startEmbeddedPostgres } = await import(join(buildDir, 'libs/database/src/index.js'));
  const { DataSource } = await import('typeorm');

  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dataDir = mkdtempSync(join(process.env.VB_TEST_TMP, 'pg-'));
    const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres', persistent: false });
    serverUrl = embedded.url;
    globalThis.__EMBEDDED_PG__ = embedded;
  }
  const template = `vb_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${template}`;
  const dataSource = new DataSource(dataSourceOptions(url.toString()));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  const pgbouncer = await startPgbouncer({ serverUrl, port: await freePort() });
  globalThis.__PGBOUNCER__ = pgbouncer;

  process.env.TEST_PG_SERVER_URL = serverUrl;
  process.env.TEST_PGBOUNCER_URL = pgbouncer.url('postgres');
  process.env.TEST_PG_TEMPLATE = template;
  globalThis.__VB_BUILD_DIR__ = buildDir;
  if (process.env.TEST_VERBOSE) console.log(`\ntest database ready in ${Date.now() - started} ms`);
}
