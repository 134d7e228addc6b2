import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';

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

/** The URL of a test database (named by a direct URL or one through PgBouncer) on the server itself. */
export function onTestServer(databaseUrl: string): string {
  const server = process.env.TEST_PG_SERVER_URL;
  if (!server) throw new Error('The jest globalSetup did not run (TEST_PG_SERVER_URL is unset).');
  const url = new URL(server);
  url.pathname = new URL(databaseUrl).pathname;
  return url.toString();
}

/**
 * The URL of the same database through the run's PgBouncer (transaction mode), from a direct one: another port,
 * the same name and credentials.
 */
export function throughPgbouncer(directUrl: string): string {
  const pgbouncer = process.env.TEST_PGBOUNCER_URL;
  if (!pgbouncer) throw new Error('The jest globalSetup did not start PgBouncer (TEST_PGBOUNCER_URL is unset).');
  const url = new URL(pgbouncer);
  url.pathname = new URL(directUrl).pathname;
  return url.toString();
}

/** The PgBouncer admin console's `SHOW <what>` (CLIENTS, SERVERS, POOLS, …), as rows. */
export async function pgbouncerShow<T = Record<string, unknown>>(what: string): Promise<T[]> {
  const admin = new pg.Client({ connectionString: throughPgbouncer('postgres:///pgbouncer') });
  await admin.connect();
  try {
    return (await admin.query(`SHOW ${what}`)).rows as T[];
  } finally {
    await admin.end();
  }
}

/** A command of the PgBouncer admin console (`RECONNECT <db>`, `PAUSE`, …). */
export async function pgbouncerCommand(command: string): Promise<void> {
  const admin = new pg.Client({ connectionString: throughPgbouncer('postgres:///pgbouncer') });
  await admin.connect();
  try {
    await admin.query(command);
  } finally {
    await admin.end();
  }
}

/**
 * Behind a transaction-mode pooler the app cannot set wait limits for a statement outside a transaction (no startup
 * parameters, no session SET): the operator sets the role's defaults (README "Bounded waits"), here for one test
 * database only, and PgBouncer opens its server connections again to take them. Sessions of the test itself get
 * them too: a test's own lock holder sets its own (`SET lock_timeout = 0` …).
 */
export async function setRoleWaitDefaults(directUrl: string, limits: { lockTimeoutMs?: number; statementTimeoutMs?: number; idleInTransactionTimeoutMs?: number }): Promise<void> {
  const database = new URL(directUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    const settings: [string, number | undefined][] = [
      ['lock_timeout', limits.lockTimeoutMs],
      ['statement_timeout', limits.statementTimeoutMs],
      ['idle_in_transaction_session_timeout', limits.idleInTransactionTimeoutMs],
    ];
    for (const [name, ms] of settings) {
      if (ms !== undefined) await client.query(`ALTER ROLE CURRENT_USER IN DATABASE ${database} SET ${name} = '${Math.trunc(ms)}ms'`);
    }
  } finally {
    await client.end();
  }
  await pgbouncerCommand(`RECONNECT ${database}`);
}

/**
 * Fails unless PgBouncer has a client connected to `databaseUrl`'s database: what runs "through the pooler"
 * really goes through it, never silently direct.
 */
export async function expectPgbouncerClient(databaseUrl: string): Promise<void> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const clients = await pgbouncerShow<{ database: string }>('CLIENTS');
  if (!clients.some((c) => c.database === database)) {
    throw new Error(`No client of PgBouncer is connected to ${database}: the app is not going through it.`);
  }
}

/**
 * Waits until `db` reaches its database again after an outage the test made. Direct, the first try succeeds;
 * through PgBouncer, the first new connection after a failed server login is refused while PgBouncer logs in
 * again (its "server_login_retry" fast fail), as a real client's retry would find.
 */
export async function waitForDatabase(db: DataSource, attempts = 100): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await db.query('SELECT 1');
      return;
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
