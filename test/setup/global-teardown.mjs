import { rm } from 'node:fs/promises';
import pg from 'pg';

export default async function globalTeardown() {
  if (globalThis.__PGBOUNCER__) await globalThis.__PGBOUNCER__.stop();
  if (globalThis.__VB_BUILD_DIR__) await rm(globalThis.__VB_BUILD_DIR__, { recursive: true, force: true });
  if (globalThis.__EMBEDDED_PG__) await globalThis.__EMBEDDED_PG__.stop();
  if (process.env.VB_TEST_TMP) await rm(process.env.VB_TEST_TMP, { recursive: true, force: true });
  if (globalThis.__EMBEDDED_PG__) return;
  // On a shared server (TEST_DATABASE_URL), remove what this run created.
  const admin = new pg.Client({ connectionString: process.env.TEST_PG_SERVER_URL });
  await admin.connect();
  const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [`vb_test_${process.pid}_%`, process.env.TEST_PG_TEMPLATE]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();
}
