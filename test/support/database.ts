import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh, migrated database for one test file (a copy of the run's template): its URL. */
export async function createTestDatabase(): Promise<string> {
  const server = process.env.TEST_PG_SERVER_URL;
  const template = process.env.TEST_PG_TEMPLATE;
  if (!server || !template) throw new Error('The jest globalSetup did not run (TEST_PG_SERVER_URL is unset).');
  const name = `vb_test_${process.ppid}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}
