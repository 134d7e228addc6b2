import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { BILLING, subscriptionRow } from './billing-fixtures.js';

/** STRIPE_SECRET_KEY unset: every route that needs Stripe answers 503 and changes nothing; the rest works. */
describe('billing without Stripe configured', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ STRIPE_SECRET_KEY: undefined });
    await t.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = 'price_m_' || code, stripe_price_annual_id = 'price_y_' || code WHERE price_monthly_cents IS NOT NULL`);
    await t.db.query(`UPDATE add_on_products SET stripe_price_id = 'price_' || code`);
  });
  afterAll(() => t.close());

  const expect503 = (res: { status: number; body: { error_code: string } }) => {
    expect(res.status).toBe(503);
    expect(res.body.error_code).toBe('PAYMENT_SYSTEM_NOT_CONFIGURED');
  };

  it('answers 503 PAYMENT_SYSTEM_NOT_CONFIGURED to Checkout, Portal, preview, sync and add-on purchase', async () => {
    const v = await signUpVendor(t);
    const before = await subscriptionRow(t, v.vendorId);
    expect503(await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'professional', is_annual: false }));
    expect503(await api(t, v.token).post(`${BILLING}/portal`).send({}));
    expect503(await api(t, v.token).get(`${BILLING}/upcoming-invoice`));
    expect503(await api(t, v.token).post(`${BILLING}/sync`).send({}));
    expect503(await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5' }));
    expect(await subscriptionRow(t, v.vendorId)).toEqual(before);
  });

  it('answers 503 to changes of a Stripe subscription and leaves the row as it was', async () => {
    const v = await signUpVendor(t);
    await t.db.query(
      `UPDATE vendor_subscriptions SET status = 'active', stripe_customer_id = $2, stripe_subscription_id = $3, stripe_price_id = 'price_m_essential' WHERE vendor_id = $1`,
      [v.vendorId, `cus_nokey_${v.vendorId}`, `sub_nokey_${v.vendorId}`],
    );
    const before = await subscriptionRow(t, v.vendorId);
    expect503(await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false }));
    expect503(await api(t, v.token).post(`${BILLING}/cancel`).send({ reason: 'x' }));
    expect503(await api(t, v.token).post(`${BILLING}/cancel`).send({ immediately: true }));
    expect(await subscriptionRow(t, v.vendorId)).toEqual(before);

    await t.db.query(`UPDATE vendor_subscriptions SET cancel_at_period_end = true WHERE vendor_id = $1`, [v.vendorId]);
    expect503(await api(t, v.token).post(`${BILLING}/reactivate`).send({}));
    expect((await subscriptionRow(t, v.vendorId)).cancel_at_period_end).toBe(true);

    const [addOn] = await t.db.query(
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, stripe_subscription_id) SELECT $1, id, 'active', $2 FROM add_on_products WHERE code = 'email_5' RETURNING id`,
      [v.vendorId, `sub_addon_nokey_${v.vendorId}`],
    );
    expect503(await api(t, v.token).delete(`${BILLING}/addons/${addOn.id}`));
    expect((await t.db.query(`SELECT status FROM vendor_add_ons WHERE id = $1`, [addOn.id]))[0].status).toBe('active');
  });

  it('still lists invoices and add-ons, and changes or cancels a trial locally', async () => {
    const v = await signUpVendor(t);
    expect((await api(t, v.token).get(`${BILLING}/invoices`)).body).toEqual({ invoices: [], total: 0 });
    expect((await api(t, v.token).get(`${BILLING}/addons`)).body).toHaveLength(5);
    expect((await api(t, v.token).get(`${BILLING}/my-addons`)).body).toEqual([]);
    const change = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false });
    expect(change.status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({})).status).toBe(200);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'business', status: 'trial', cancel_at_period_end: true });
  });
});
