import Stripe from 'stripe';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { WEBHOOK_PATH } from './webhook-fixtures.js';

describe('Stripe webhooks without STRIPE_WEBHOOK_SECRET', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ STRIPE_SECRET_KEY: 'sk_test_no_webhooks' });
  });
  afterAll(() => t.close());

  it('answers 503 PAYMENT_SYSTEM_NOT_CONFIGURED and writes nothing', async () => {
    const body = JSON.stringify({ id: 'evt_unconfigured', object: 'event', type: 'invoice.paid', created: 1, data: { object: {} } });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_anything' });

    const res = await request(t.http).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(body);

    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status_code: 503, error_code: 'PAYMENT_SYSTEM_NOT_CONFIGURED' });
    expect(await t.db.query(`SELECT count(*)::int AS n FROM stripe_webhook_events`)).toEqual([{ n: 0 }]);
  });
});
