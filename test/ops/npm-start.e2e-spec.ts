import { createServer, type Server } from 'node:net';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { embeddedUrl } from '@app/database';
import { testTempDir } from '../support/temp-dir.js';
import { freePort } from './support/built-process.js';
import { descendants, exitWithin, isAlive, killLeftovers, npm, readRunFile, waitReady, type NpmRun } from './support/npm-process.js';

// `npm start` and the one-off commands on the embedded default (no DATABASE_URL), as a new operator runs them:
// every way of stopping it leaves no process behind, one-off commands find the running database (or start and
// stop their own), a second start and a busy port are refused in one line, and exit codes tell the truth.

/** Starting takes a few seconds alone, much longer on a busy 2-core machine running the whole suite. */
const SLOW = 240_000;

describe('npm start on the embedded database', () => {
  const leftovers: { run?: NpmRun; dataDir: string }[] = [];
  afterAll(() => {
    for (const { run, dataDir } of leftovers) killLeftovers(run, dataDir);
  });

  async function startNpm(dataDir: string): Promise<{ run: NpmRun; port: number; pids: Map<string, number> }> {
    let port: number;
    let run: NpmRun;
    for (let attempt = 1; ; attempt++) {
      // A free port now may be taken by another program on this shared machine before npm start binds it.
      port = await freePort();
      run = npm(['start'], { DATA_DIR: dataDir, PORT: String(port) });
      leftovers.push({ run, dataDir });
      try {
        await waitReady(`http://127.0.0.1:${port}/health/ready`, run);
        break;
      } catch (error) {
        if (attempt >= 3 || !/already in use/.test(run.output())) throw error;
      }
    }
    const tree = descendants(run.child.pid!);
    const pidOf = (pattern: RegExp) => tree.find((p) => pattern.test(p.cmd))?.pid;
    const pids = new Map<string, number>([
      ['npm', run.child.pid!],
      ['start.mjs', pidOf(/scripts\/start\.mjs/)!],
      ['api', pidOf(/apps\/api\/src\/main\.js/)!],
      ['worker', pidOf(/apps\/worker\/src\/main\.js/)!],
      ['postgres', readRunFile(dataDir)!.pid],
    ]);
    for (const [name, pid] of pids) expect([name, typeof pid]).toEqual([name, 'number']);
    // `npm` execs the script (package.json), so no shell stands between npm and start.mjs to swallow signals.
    expect(tree[0].cmd).toMatch(/scripts\/start\.mjs/);
    return { run, port, pids };
  }

  /** Sends the stop, then: exit code, how long, and that no process of the run is left. */
  async function expectCleanStop(dataDir: string, started: Awaited<ReturnType<typeof startNpm>>, send: () => void) {
    const before = Date.now();
    send();
    const exit = await exitWithin(started.run, 15_000);
    const took = Date.now() - before;
    await new Promise((r) => setTimeout(r, 200));
    const survivors = [...started.pids].filter(([, pid]) => isAlive(pid)).map(([name]) => name);
    expect({ exit, survivors, runFileLeft: readRunFile(dataDir) !== undefined }).toEqual({ exit: { code: 0, signal: null }, survivors: [], runFileLeft: false });
    expect(took).toBeLessThan(15_000);
    expect(started.run.output()).toMatch(/"msg":"stopped"/);
    await expect(fetch(`http://127.0.0.1:${started.port}/health/live`)).rejects.toThrow();
  }

  it('serves, lets one-off commands use its database, refuses a second start in one line, and stops on Ctrl-C (SIGINT to the group)', async () => {
    const dataDir = testTempDir('vb-npm-start-');
    const started = await startNpm(dataDir);
    // One line per process at info: the database, the worker, the API (plus npm's own banner).
    const logLines = started.run.output().split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeLessThanOrEqual(4);
    expect(started.run.output()).toMatch(/API listening on http:\/\/localhost:\d+ \(OpenAPI docs/);
    expect(started.run.output()).toMatch(/database embedded at 127\.0\.0\.1:\d+/);

    const second = npm(['start'], { DATA_DIR: dataDir, PORT: String(await freePort()) });
    const secondExit = await exitWithin(second, 60_000);
    expect(secondExit.code).not.toBe(0);
    const ours = second.stderr().split('\n').filter((l) => l.startsWith('npm start:'));
    expect(ours).toEqual([expect.stringMatching(/already running on this data/)]);
    expect(second.output()).not.toMatch(/^\s+at /m); // no stack

    const job = npm(['run', 'job', '--', 'capture-capacity-snapshot'], { DATA_DIR: dataDir });
    expect(await exitWithin(job, 120_000)).toEqual({ code: 0, signal: null });
    expect(job.stderr()).toMatch(/capture-capacity-snapshot: succeeded/);
    const migrate = npm(['run', 'migration:run'], { DATA_DIR: dataDir });
    expect(await exitWithin(migrate, 120_000)).toEqual({ code: 0, signal: null });
    expect(migrate.output()).toMatch(/Nothing to do: the database is up to date\./);

    // The job ran on the database `npm start` runs, which is still the one in the run file.
    const info = readRunFile(dataDir)!;
    expect(info.pid).toBe(started.pids.get('postgres'));
    const client = new pg.Client({ connectionString: embeddedUrl(info.port, info.database) });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query(`SELECT status FROM job_runs WHERE name = 'capture-capacity-snapshot'`).finally(() => client.end());
    expect(rows).toEqual([{ status: 'succeeded' }]);

    await expectCleanStop(dataDir, started, () => process.kill(-started.pids.get('npm')!, 'SIGINT'));
  }, SLOW);

  it.each([
    ['SIGINT to the npm process', 'npm', 'SIGINT'],
    ['SIGTERM to the npm process', 'npm', 'SIGTERM'],
    ['SIGTERM to start.mjs', 'start.mjs', 'SIGTERM'],
  ] as const)('stops the apps, then the database, on %s', async (_name, target, signal) => {
    const dataDir = testTempDir('vb-npm-stop-');
    const started = await startNpm(dataDir);
    await expectCleanStop(dataDir, started, () => process.kill(started.pids.get(target)!, signal));
  }, SLOW);

  it('runs a one-off command on a database it starts and stops itself when nothing runs, and exits non-zero when the command fails', async () => {
    const dataDir = testTempDir('vb-npm-oneoff-');
    const job = npm(['run', 'job', '--', 'capture-capacity-snapshot'], { DATA_DIR: dataDir });
    leftovers.push({ run: job, dataDir });
    expect(await exitWithin(job, 120_000)).toEqual({ code: 0, signal: null });
    expect(job.stderr()).toMatch(/capture-capacity-snapshot: succeeded/);
    expect(readRunFile(dataDir)).toBeUndefined();
    expect(descendants(job.child.pid!)).toEqual([]);

    // Stripe unreachable: the sync fails, says why in one line, exits 1 and still stops its database.
    const dead = await freePort();
    const sync = npm(['run', 'stripe:sync-catalog'], { DATA_DIR: dataDir, STRIPE_SECRET_KEY: 'sk_test_unreachable', STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(dead), STRIPE_API_PROTOCOL: 'http', LOG_LEVEL: 'error' });
    leftovers.push({ run: sync, dataDir });
    expect(await exitWithin(sync, 120_000)).toEqual({ code: 1, signal: null });
    expect(sync.stderr()).toMatch(/^The catalog sync failed: .+$/m);
    expect(sync.output()).not.toMatch(/TypeError|undefined/);
    expect(readRunFile(dataDir)).toBeUndefined();

    const unknown = npm(['run', 'job', '--', 'no-such-job'], { DATA_DIR: dataDir });
    expect((await exitWithin(unknown, 60_000)).code).toBe(2);
  }, SLOW);

  it('says in one line that the port is taken, and exits non-zero without starting anything', async () => {
    const dataDir = testTempDir('vb-npm-port-');
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, () => resolve((blocker.address() as { port: number }).port)));
    try {
      const run = npm(['start'], { DATA_DIR: dataDir, PORT: String(port) });
      leftovers.push({ run, dataDir });
      const exit = await exitWithin(run, 60_000);
      expect(exit.code).toBe(1);
      expect(run.stderr().split('\n').filter((l) => l.startsWith('npm start:'))).toEqual([expect.stringMatching(new RegExp(`port ${port} is already in use`))]);
      expect(readRunFile(dataDir)).toBeUndefined();
    } finally {
      blocker.close();
    }
  }, SLOW);

  // As root, PostgreSQL runs as the `postgres` user, which cannot enter a `mktemp -d` folder (mode 700).
  (process.getuid?.() === 0 ? it : it.skip)('starts the embedded database as root from a folder the postgres user cannot enter', async () => {
    const parent = testTempDir('vb-npm-closed-');
    const closed = join(parent, 'project');
    mkdirSync(closed);
    chmodSync(closed, 0o700);
    const dataDir = join(closed, '.data');
    const migrate = npm(['run', 'migration:run'], { DATA_DIR: dataDir });
    leftovers.push({ run: migrate, dataDir });
    try {
      expect(await exitWithin(migrate, 120_000)).toEqual({ code: 0, signal: null });
      expect(migrate.output()).toMatch(/Applied: /);
      expect(readdirSync(dataDir)).toContain('pg');
    } finally {
      // The data went to /var/lib/vendor-billing/<hash>/pg (linked from .data/pg): remove it with the test's folders.
      const { realpathSync } = await import('node:fs');
      const moved = realpathSync(join(dataDir, 'pg'));
      if (moved.startsWith('/var/lib/vendor-billing/')) rmSync(join(moved, '..'), { recursive: true, force: true });
    }
  }, SLOW);
});
