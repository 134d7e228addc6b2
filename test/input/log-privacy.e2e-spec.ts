import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../support/database.js';
import { buildApps, freePort, removeTempDataDirs, spawnNode, tempDataDir, waitUntilReady, type Build, type Spawned } from '../ops/support/built-process.js';

// A run's logs, read as an operator would: the built API at LOG_LEVEL info, its whole output searched for the
// e-mails and passwords the run used, a failing query among them (PostgreSQL's error carries the parameters and
// "Failing row contains (…)").

const SLOW = 120_000;

describe('what the logs keep of a request', () => {
  let build: Build;
  let databaseUrl: string;
  let api: Spawned;
  let base: string;

  async function sql(text: string, params: unknown[] = []): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(text, params);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    [build, databaseUrl] = await Promise.all([buildApps(), createTestDatabase()]);
    // Any user whose e-mail says "leaky" fails its INSERT: a query error the API does not expect (a 500).
    await sql(`ALTER TABLE users ADD CONSTRAINT ck_users_leak_probe CHECK (email NOT LIKE '%leaky%')`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = spawnNode(join(build.dir, 'apps/api/src/main.js'), {
      NODE_ENV: 'production', PORT: String(port), DATABASE_URL: databaseUrl, JWT_SECRET: `log-secret-${randomBytes(24).toString('hex')}`,
      LOG_LEVEL: 'info', DATA_DIR: tempDataDir(), AUTH_RATE_LIMIT_PER_MINUTE: '1000', DATABASE_POOL_SIZE: '4',
    });
    await waitUntilReady(`${base}/health/ready`, api, 60_000);
  }, SLOW);
  afterAll(async () => {
    await api?.stop();
    build?.remove();
    removeTempDataDirs();
  });

  it('never carries an e-mail, a password or a query parameter, even for a query that failed', async () => {
    const tag = randomBytes(5).toString('hex');
    const ownerEmail = `owner-${tag}@distinct-${tag}.test`;
    const memberEmail = `member-${tag}@distinct-${tag}.test`;
    const leakyEmail = `leaky-${tag}@distinct-${tag}.test`;
    const leakyMember = `leaky-member-${tag}@distinct-${tag}.test`;
    const passwords = [`Pw-owner-${tag}`, `Pw-member-${tag}`, `Pw-wrong-${tag}`, `Pw-leaky-${tag}`];
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });

    const signup = await post('/api/v1/auth/signup', { vendor_name: `Shop ${tag}`, vendor_code: `logs-${tag}`, email: ownerEmail, password: passwords[0] });
    expect(signup.status).toBe(201);
    const { access_token: token, vendor } = (await signup.json()) as { access_token: string; vendor: { id: number } };
    await sql(`UPDATE vendor_subscriptions SET tier_code = 'professional' WHERE vendor_id = $1`, [vendor.id]); // room for members
    expect((await post('/api/v1/vendor/team', { email: memberEmail, password: passwords[1] }, token)).status).toBe(201);
    expect((await post('/api/v1/auth/login', { email: memberEmail, password: passwords[1] })).status).toBe(200);
    expect((await post('/api/v1/auth/login', { email: ownerEmail, password: passwords[2] })).status).toBe(401);
    expect((await post('/api/v1/vendor/team', { email: ownerEmail, password: passwords[1] }, token)).status).toBe(409);
    const failed = [
      await post('/api/v1/auth/signup', { vendor_name: `Leaky ${tag}`, vendor_code: `leaky-${tag}`, email: leakyEmail, password: passwords[3] }),
      await post('/api/v1/vendor/team', { email: leakyMember, password: passwords[3] }, token),
    ];
    for (const res of failed) expect(res.status).toBe(500);
    await api.waitForOutput(/ck_users_leak_probe[\s\S]*ck_users_leak_probe/);

    const output = api.output();
    // The failures are in the log (with the SQL, the constraint and an error id), the personal data is not.
    expect(output).toMatch(/"level":"error"[^\n]*ck_users_leak_probe/);
    for (const secret of [ownerEmail, memberEmail, leakyEmail, leakyMember, ...passwords, tag]) {
      expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
    }
  }, SLOW);
});
