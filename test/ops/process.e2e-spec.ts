import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EnvironmentError, validateEnvironment } from '@app/common';
import { createTestDatabase } from '../support/database.js';
import { buildApps, freePort, removeTempDataDirs, spawnNode, tempDataDir, waitUntilReady, type Build, type Spawned } from './support/built-process.js';

// The built API and worker as separate processes, the way `npm run start:api` / `start:worker` and the
// containers run them: start-up validation, logs, metrics and shutdown.

const JWT_SECRET = `ops-secret-${randomBytes(24).toString('hex')}`;
/** Starting a process takes a few seconds here, but much longer on a busy 2-core machine running the whole suite. */
const SLOW = 90_000;

describe('the built processes', () => {
  let build: Build;
  let databaseUrl: string;
  const started: Spawned[] = [];

  const productionEnv = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    LOG_LEVEL: 'info',
    DATA_DIR: tempDataDir(),
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    DATABASE_POOL_SIZE: '4',
    ...extra,
  });
  const start = (entry: string, env: Record<string, string>) => {
    const spawned = spawnNode(join(build.dir, entry), env);
    started.push(spawned);
    return spawned;
  };

  beforeAll(async () => {
    [build, databaseUrl] = await Promise.all([buildApps(), createTestDatabase()]);
  }, SLOW);
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    build?.remove();
    removeTempDataDirs();
  });

  describe('start-up validation', () => {
    it('names each bad variable in the error', () => {
      const attempt = () => validateEnvironment({ PORT: 'notaport', STRIPE_TRIAL_DAYS: '-3', DATA_DIR: tempDataDir(), JWT_SECRET: 'x'.repeat(40) });
      expect(attempt).toThrow(EnvironmentError);
      expect(attempt).toThrow(/^\s*PORT: /m);
      expect(attempt).toThrow(/^\s*STRIPE_TRIAL_DAYS: /m);
    });

    it('requires a long JWT_SECRET in production without printing the short one', () => {
      const short = 'short-secret-9f2c';
      let message = '';
      try {
        validateEnvironment({ NODE_ENV: 'production', JWT_SECRET: short, DATA_DIR: tempDataDir() });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/JWT_SECRET/);
      expect(message).not.toContain(short);
    });

    it('stops the API process with a message naming PORT when PORT is not a port', async () => {
      const api = start('apps/api/src/main.js', productionEnv({ PORT: 'notaport' }));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running:\n${api.output()}`)), 60_000)));
      const exit = await Promise.race([api.exited, timeout]).finally(() => clearTimeout(timer));
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(api.output()).toMatch(/Invalid environment/);
      expect(api.output()).toMatch(/PORT/);
      expect(api.output()).not.toContain(JWT_SECRET);
    }, SLOW);

    it('stops the API and the worker with one line naming PLATFORM_WEBHOOK_SECRET when it is not a Standard Webhooks secret', async () => {
      // A passphrase of the old kind: long enough before, not whsec_ + base64 of 24+ bytes.
      const passphrase = `platform-passphrase-${randomBytes(12).toString('hex')}`;
      for (const entry of ['apps/api/src/main.js', 'apps/worker/src/main.js']) {
        const child = start(entry, productionEnv({ PORT: String(await freePort()), PLATFORM_WEBHOOK_URL: 'http://127.0.0.1:9/hook', PLATFORM_WEBHOOK_SECRET: passphrase }));
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running:\n${child.output()}`)), 60_000)));
        const exit = await Promise.race([child.exited, timeout]).finally(() => clearTimeout(timer));
        expect(exit.code).not.toBe(0);
        expect(exit.code).not.toBeNull();
        const lines = child.output().split('\n').filter((l) => l.includes('PLATFORM_WEBHOOK_SECRET'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/PLATFORM_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 or more random bytes.*npm run platform:secret/);
        expect(child.output()).not.toContain(passphrase);
      }
    }, SLOW);

    it('takes a secret in the Standard Webhooks form, and the one `npm run platform:secret` prints', () => {
      const env = (secret: string) => () => validateEnvironment({ DATA_DIR: tempDataDir(), PLATFORM_WEBHOOK_URL: 'https://hooks.example/in', PLATFORM_WEBHOOK_SECRET: secret });
      const printed = execFileSync(process.execPath, [join(process.cwd(), 'scripts/platform-secret.mjs')], { encoding: 'utf8' }).trim();
      expect(printed).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(env(printed)).not.toThrow();
      expect(env(`whsec_${randomBytes(24).toString('base64')}`)).not.toThrow();
      for (const bad of [`whsec_${randomBytes(16).toString('base64')}`, randomBytes(32).toString('base64'), 'whsec_not*base64*at*all*not*base64*at*all']) {
        expect(env(bad)).toThrow(/^\s*PLATFORM_WEBHOOK_SECRET: .*npm run platform:secret/m);
      }
      // Required with the URL.
      expect(() => validateEnvironment({ DATA_DIR: tempDataDir(), PLATFORM_WEBHOOK_URL: 'https://hooks.example/in' })).toThrow(/PLATFORM_WEBHOOK_SECRET/);
    });
  });

  describe('the API', () => {
    let api: Spawned;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      api = start('apps/api/src/main.js', productionEnv({ PORT: String(port), APP_NAME: 'vendor-billing-api-ops-test' }));
      await waitUntilReady(`${base}/health/ready`, api, 60_000);
    }, SLOW);

    it('answers /metrics in the Prometheus text format with the process metrics', async () => {
      await fetch(`${base}/health/live`);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    });

    it('logs each request as a JSON line with its request id, and never a password, a token or the JWT secret', async () => {
      const password = `pw-${randomBytes(12).toString('hex')}`;
      const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
      const code = `ops-${randomBytes(3).toString('hex')}`;
      const email = `owner@${code}.test`;
      const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

      const signup = await fetch(`${base}/api/v1/auth/signup`, json({ vendor_name: 'Ops', vendor_code: code, email, password }));
      expect(signup.status).toBe(201);
      const login = await fetch(`${base}/api/v1/auth/login`, json({ email, password }));
      expect(login.status).toBe(200);
      const { access_token: token } = (await login.json()) as { access_token: string };
      expect((await fetch(`${base}/api/v1/auth/login`, json({ email, password: wrongPassword }))).status).toBe(401);

      const me = await fetch(`${base}/api/v1/auth/me?access_token=${token}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'ops-trace-42' } });
      expect(me.status).toBe(200);
      expect(me.headers.get('x-request-id')).toBe('ops-trace-42');
      // Stripe is not configured here: the portal answers 503, logged as a warning without a stack.
      expect((await fetch(`${base}/api/v1/vendor/billing/portal`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-request-id': 'ops-trace-503', 'content-type': 'application/json' }, body: '{}' })).status).toBe(503);
      const anonymous = await fetch(`${base}/api/v1/auth/me`);
      expect(anonymous.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 200));

      const output = api.output();
      const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const traced = lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'ops-trace-42');
      expect(traced).toMatchObject({ level: 'info', req: { id: 'ops-trace-42', method: 'GET', url: '/api/v1/auth/me' }, res: { status: 200 } });
      expect(lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/api/v1/auth/login')).toBe(true);
      const unavailable = lines.filter((l) => JSON.stringify(l).includes('ops-trace-503'));
      expect(unavailable).toEqual([expect.objectContaining({ level: 'warn', res: { status: 503 } })]);
      expect(JSON.stringify(unavailable)).not.toMatch(/stack|"err"/);

      for (const secret of [password, wrongPassword, token, token.split('.')[2], JWT_SECRET]) expect(output).not.toContain(secret);
    });

    it('stops on SIGTERM with exit code 0 within a few seconds', async () => {
      const before = Date.now();
      api.child.kill('SIGTERM');
      const exit = await api.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - before).toBeLessThan(15_000);
      await expect(fetch(`${base}/health/live`)).rejects.toThrow();
    });
  });

  it('says in one line that the port is taken and exits 1 (no EADDRINUSE trace)', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, () => resolve((blocker.address() as { port: number }).port)));
    try {
      const api = start('apps/api/src/main.js', productionEnv({ PORT: String(port) }));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running:\n${api.output()}`)), 60_000)));
      const exit = await Promise.race([api.exited, timeout]).finally(() => clearTimeout(timer));
      expect(exit.code).toBe(1);
      expect(api.output()).toMatch(new RegExp(`^API: port ${port} is already in use .+$`, 'm'));
      expect(api.output()).not.toMatch(/^\s+at /m);
    } finally {
      blocker.close();
    }
  }, SLOW);

  describe('the worker', () => {
    it('starts, then stops on SIGTERM with exit code 0', async () => {
      const worker = start('apps/worker/src/main.js', productionEnv({ APP_NAME: 'vendor-billing-worker-ops-test' }));
      await worker.waitForOutput(/worker started/, 60_000);
      const before = Date.now();
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - before).toBeLessThan(15_000);
      expect(worker.output()).not.toContain(JWT_SECRET);
    }, SLOW);
  });
});
