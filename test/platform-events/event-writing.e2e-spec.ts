import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken, insertTier, moveToTier } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

/** Events are written whatever the delivery does: here no PLATFORM_WEBHOOK_URL, so they stay in the outbox. */
describe('platform events: what is written, in the transaction of the change', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ ...ADMIN_ENV, PLATFORM_WEBHOOK_URL: undefined, PLATFORM_WEBHOOK_SECRET: undefined });
    admin = await adminToken(t);
    await insertTier(t, 'alerts', { products: 10, orders: 10, team: 5 });
  });
  afterAll(() => t.close());

  const eventsOf = (vendorId: number, type?: string) =>
    t.db.query(`SELECT type, data, status FROM platform_events WHERE vendor_id = $1 AND ($2::text IS NULL OR type = $2) ORDER BY id`, [vendorId, type ?? null]);

  async function vendorOnAlerts(): Promise<SignedUpVendor> {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'alerts');
    await t.db.query(`DELETE FROM platform_events WHERE vendor_id = $1`, [v.vendorId]); // the move's own subscription.updated
    return v;
  }

  it('writes exactly one 80 % and one 100 % event when 20 orders race across both thresholds', async () => {
    const v = await vendorOnAlerts();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 + i })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(10);
    const [{ period_start }] = await t.db.query(`SELECT period_start FROM vendor_subscriptions WHERE vendor_id = $1`, [v.vendorId]);
    const events = await eventsOf(v.vendorId, 'usage.threshold_reached');
    expect(events.map((e: { data: object }) => e.data)).toEqual([
      { meter: 'orders', threshold: 80, current: 8, limit: 10, period_start: new Date(period_start).toISOString() },
      { meter: 'orders', threshold: 100, current: 10, limit: 10, period_start: new Date(period_start).toISOString() },
    ]);
    const sub = await api(t, v.token).get('/api/v1/vendor/billing/subscription');
    expect(sub.body.usage.orders).toMatchObject({ current: 10, limit: 10, threshold_reached: 100 });
    expect(sub.body.usage.products.threshold_reached).toBeNull();
  });

  it('writes nothing for a refused order, nor for orders below 80 %', async () => {
    const v = await vendorOnAlerts();
    for (let i = 0; i < 7; i++) expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 })).status).toBe(201);
    expect(await eventsOf(v.vendorId)).toEqual([]);
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 10 WHERE vendor_id = $1`, [v.vendorId]);
    const refused = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
    expect(refused.body.error_code).toBe('TIER_LIMIT_EXCEEDED');
    expect(await eventsOf(v.vendorId)).toEqual([]);
  });

  it('reports a product threshold once per period, even when a product is deleted and created again across it', async () => {
    const v = await vendorOnAlerts();
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api(t, v.token).post('/api/v1/vendor/products').send({ name: `P${i}`, price_cents: 1 })).body.id);
    expect(await eventsOf(v.vendorId)).toHaveLength(1);
    expect((await api(t, v.token).get('/api/v1/vendor/billing/subscription')).body.usage.products.threshold_reached).toBe(80);
    expect((await api(t, v.token).delete(`/api/v1/vendor/products/${ids[0]}`)).status).toBe(204);
    // Below 80 % again: the notice goes, the event stays written once.
    expect((await api(t, v.token).get('/api/v1/vendor/billing/subscription')).body.usage.products.threshold_reached).toBeNull();
    await Promise.all(Array.from({ length: 2 }, (_, i) => api(t, v.token).post('/api/v1/vendor/products').send({ name: `again ${i}`, price_cents: 1 })));
    expect((await eventsOf(v.vendorId)).map((e: { data: { threshold: number } }) => e.data.threshold)).toEqual([80]);
    // A new period is a new chance.
    await t.db.query(`UPDATE vendor_subscriptions SET period_start = period_start + interval '1 month', period_end = period_end + interval '1 month', products_count = 7 WHERE vendor_id = $1`, [v.vendorId]);
    await t.db.query(`DELETE FROM products WHERE id IN (SELECT id FROM products WHERE vendor_id = $1 ORDER BY id LIMIT 2)`, [v.vendorId]);
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'next period', price_cents: 1 })).status).toBe(201);
    expect((await eventsOf(v.vendorId)).map((e: { data: { threshold: number } }) => e.data.threshold)).toEqual([80, 80]);
  });

  it('writes subscription.updated with what changed before, from any writer, and nothing for counters or a rollback', async () => {
    const v = await vendorOnAlerts();
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = orders_this_period + 1, products_count = 3 WHERE vendor_id = $1`, [v.vendorId]);
    await t.db.query(`UPDATE vendor_subscriptions SET status = status, tier_code = tier_code WHERE vendor_id = $1`, [v.vendorId]);
    expect(await eventsOf(v.vendorId)).toEqual([]);

    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    await runner.rollbackTransaction();
    await runner.release();
    expect(await eventsOf(v.vendorId)).toEqual([]);

    await t.db.query(`UPDATE vendor_subscriptions SET tier_code = 'professional', status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    await t.db.query(`UPDATE vendor_subscriptions SET cancel_at_period_end = true WHERE vendor_id = $1`, [v.vendorId]);
    expect((await eventsOf(v.vendorId)).map((e: { type: string; data: object }) => [e.type, e.data])).toEqual([
      ['subscription.updated', { tier_code: 'professional', status: 'past_due', cancel_at_period_end: false, previous: { tier_code: 'alerts', status: 'active' } }],
      ['subscription.updated', { tier_code: 'professional', status: 'past_due', cancel_at_period_end: true, previous: { cancel_at_period_end: false } }],
    ]);
  });

  it('writes one subscription.updated per row for a set-based change', async () => {
    const vendors = await Promise.all([vendorOnAlerts(), vendorOnAlerts(), vendorOnAlerts()]);
    const ids = vendors.map((v) => v.vendorId);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'expired' WHERE vendor_id = ANY($1)`, [ids]);
    const rows = await t.db.query(`SELECT vendor_id, data FROM platform_events WHERE vendor_id = ANY($1) ORDER BY vendor_id`, [ids]);
    expect(rows.map((r: { vendor_id: number }) => r.vendor_id)).toEqual([...ids].sort((a, b) => a - b));
    for (const r of rows) expect(r.data).toEqual({ tier_code: 'alerts', status: 'expired', cancel_at_period_end: false, previous: { status: 'active' } });
  });

  it('lists events for admins with their delivery state, filtered, and redelivers one by id', async () => {
    const v = await vendorOnAlerts();
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    const list = await api(t, admin).get(`/api/v1/admin/platform-events?vendor_id=${v.vendorId}&type=subscription.updated&status=pending&limit=5`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const [event] = list.body.items;
    expect(event).toMatchObject({ type: 'subscription.updated', vendor_id: v.vendorId, status: 'pending', attempts: 0, next_attempt_at: null, last_error: null, delivered_at: null });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);

    await t.db.query(`UPDATE platform_events SET status = 'failed', attempts = 21, last_error = 'HTTP 500' WHERE public_id = $1`, [event.id]);
    const again = await api(t, admin).post(`/api/v1/admin/platform-events/${event.id}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: event.id, status: 'pending', attempts: 21, last_error: 'HTTP 500', next_attempt_at: null });

    expect((await api(t, admin).post('/api/v1/admin/platform-events/00000000-0000-4000-8000-000000000000/redeliver')).body.error_code).toBe('NOT_FOUND');
    expect((await api(t, admin).post('/api/v1/admin/platform-events/not-a-uuid/redeliver')).status).toBe(400);
    expect((await api(t, admin).get('/api/v1/admin/platform-events?status=lost')).status).toBe(400);
    expect((await api(t, v.token).get('/api/v1/admin/platform-events')).status).toBe(403);
    expect((await request(t.http).get('/api/v1/admin/platform-events')).status).toBe(401);
  });

  it('exposes the outbox on /metrics', async () => {
    const res = await request(t.http).get('/metrics');
    expect(res.text).toMatch(/^platform_events_written_total [1-9]\d*$/m);
    expect(res.text).toMatch(/^platform_events_pending [1-9]\d*$/m);
    expect(res.text).toMatch(/^platform_events_delivered_total 0$/m);
    expect(res.text).toMatch(/^platform_event_delivery_latency_seconds_bucket\{le="\+Inf"\} 0$/m);
  });
});
