import { Logger, type LoggerService } from '@nestjs/common';
import { signUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { startWorkerContext, type WorkerContext } from '../worker/worker-context.js';
import { RECEIVER_SECRET, TestReceiver } from './receiver.js';

// Many receivers are protected by credentials in the URL. fetch refuses such a URL ("Request cannot be constructed
// from a URL that includes credentials"), which failed every delivery for 3 days and showed the password in the
// admin list. The credentials go as an Authorization: Basic header; they and the query string (a token) are in no
// stored error, no admin answer and no log line.

const USER = 'hook-user';
const PASSWORD = 'pa:ss w@rd-7Qx2';
const TOKEN = 'qtoken-93fd1a';

describe('platform events to a PLATFORM_WEBHOOK_URL with credentials', () => {
  let t: TestApp;
  let w: WorkerContext;
  let receiver: TestReceiver;
  let admin: string;
  const logged: string[] = [];

  beforeAll(async () => {
    receiver = new TestReceiver();
    const plain = new URL(await receiver.start());
    const url = `http://${USER}:${encodeURIComponent(PASSWORD)}@${plain.host}${plain.pathname}?token=${TOKEN}`;
    receiver.requiredAuthorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    t = await createTestApp({ ...ADMIN_ENV, PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: RECEIVER_SECRET, PLATFORM_WEBHOOK_TIMEOUT_MS: '2000', PLATFORM_EVENTS_POLL_MS: '50' });
    w = await startWorkerContext({ scheduler: true });
    admin = await adminToken(t);
    // Every line the apps log through Nest's Logger from here on (the delivery's among them), at every level.
    const keep = (level: string) => (message: unknown, ...rest: unknown[]) => void logged.push(`${level} ${JSON.stringify([message, ...rest])}`);
    const capture: LoggerService = { log: keep('log'), error: keep('error'), warn: keep('warn'), debug: keep('debug'), verbose: keep('verbose'), fatal: keep('fatal') };
    Logger.overrideLogger(capture);
  });
  afterAll(async () => {
    Logger.overrideLogger(false);
    await w.close();
    await t.close();
    await receiver.close();
  });

  const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), USER, TOKEN, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];
  const idsOf = async (vendorId: number): Promise<string[]> =>
    (await t.db.query(`SELECT public_id FROM platform_events WHERE vendor_id = $1 ORDER BY id`, [vendorId])).map((r: { public_id: string }) => r.public_id);
  const errorOf = async (id: string): Promise<string | null> => (await t.db.query(`SELECT last_error FROM platform_events WHERE public_id = $1`, [id]))[0].last_error;

  it('delivers with the credentials as Authorization: Basic, and shows them (or the query) nowhere', async () => {
    const v = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    const [first] = await idsOf(v.vendorId);
    await receiver.waitFor((r) => r.accepted.some((e) => e.id === first));
    const delivered = receiver.accepted.find((e) => e.id === first)!;
    expect(delivered).toMatchObject({ verified: true, answered: 200, webhook: { authorization: receiver.requiredAuthorization, path: `/platform-events?token=${TOKEN}` } });

    // Failures of every kind, stored: no answer at all (a network error), a 503, then given up for good.
    receiver.behaviour = 'drop';
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'active' WHERE vendor_id = $1`, [v.vendorId]);
    const [, second] = await idsOf(v.vendorId);
    await waitUntil(async () => (await errorOf(second))?.startsWith('unreachable: ') === true);
    receiver.behaviour = 503;
    w.clock.advance(10 * 60_000);
    await waitUntil(async () => (await errorOf(second)) === 'HTTP 503');
    receiver.behaviour = 'drop';
    w.clock.advance(4 * 86_400_000);
    await waitUntil(async () => (await t.db.query(`SELECT status FROM platform_events WHERE public_id = $1`, [second]))[0].status === 'failed');
    expect(await errorOf(second)).toMatch(/^unreachable: /);

    // What admins see: the list (each status), one event redelivered, the bulk redelivery, the metrics. The receiver
    // answers again first: the worker may send the redelivered event before the last answer here is read, and a
    // drop then would put it back behind a retry minutes away on the test clock.
    receiver.behaviour = 200;
    const answers = [
      await api(t, admin).get(`/api/v1/admin/platform-events?vendor_id=${v.vendorId}`),
      await api(t, admin).get('/api/v1/admin/platform-events?status=failed'),
      await api(t, admin).post('/api/v1/admin/platform-events/redeliver').send({ status: 'failed', since: '2026-01-01T00:00:00Z', dry_run: true }),
      await api(t, admin).post(`/api/v1/admin/platform-events/${second}/redeliver`),
      await api(t, admin).get('/metrics'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[1].body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: second, status: 'failed', last_error: expect.stringMatching(/^unreachable: /) })]));
    for (const answer of answers) for (const secret of SECRETS) expect(answer.text).not.toContain(secret);

    await receiver.waitFor((r) => r.accepted.some((e) => e.id === second));

    // Every row of every table, as text.
    const tables: Array<{ name: string }> = await t.db.query(`SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ${name} r WHERE r::text LIKE ANY($1::text[])`, [SECRETS.map((s) => `%${s.replace(/[\\%_]/g, '\\$&')}%`)]);
      expect({ table: name, rowsWithACredential: n }).toEqual({ table: name, rowsWithACredential: 0 });
    }

    // The logs: the delivery logged its give-up, and no line carries a credential or the query.
    expect(logged.some((l) => l.includes(`platform event ${second} failed for good`))).toBe(true);
    for (const line of logged) for (const secret of SECRETS) expect(line).not.toContain(secret);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
