import pg from 'pg';
import { setRoleWaitDefaults } from '../support/database.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, linkedVendor, priceTheTiers, subscriptionRow, type TierPrices } from './webhook-fixtures.js';

const LOCK_TIMEOUT_MS = 1000;

/**
 * Issue 21: Stripe's delivery held behind a row lock past DATABASE_LOCK_TIMEOUT_MS answers 503 SERVICE_UNAVAILABLE
 * (Stripe retries it), applies nothing, and is processed once Stripe delivers it again; the lock's holder commits.
 * Both jest projects (through PgBouncer the webhook's single statement gets the role's defaults).
 */
describe('Stripe webhook behind a row lock', () => {
  const { t, double } = useStripeTestApp({ DATABASE_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) });
  let prices: TierPrices;

  beforeAll(async () => {
    if (t.pgbouncer) await setRoleWaitDefaults(t.directDatabaseUrl, { lockTimeoutMs: LOCK_TIMEOUT_MS });
    prices = await priceTheTiers(t, double);
  });

  it('answers 503 and applies nothing while the row stays locked; the retry applies it', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const before = await subscriptionRow(t, vendor.vendorId);
    const event = double.makeEvent('customer.subscription.updated', subscription);
    const holder = new pg.Client({ connectionString: t.directDatabaseUrl });
    await holder.connect();
    try {
      await holder.query('SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0');
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE', [vendor.vendorId]);

      const res = await deliver(t, double, event);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status_code: 503, error_code: 'SERVICE_UNAVAILABLE' });
      expect((await eventRow(t, event.id))?.status).not.toBe('processed');

      await holder.query('UPDATE vendor_subscriptions SET orders_this_period = orders_this_period WHERE vendor_id = $1', [vendor.vendorId]);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect(await subscriptionRow(t, vendor.vendorId)).toEqual(before);

    const retry = await deliver(t, double, event);
    expect(retry.status).toBe(200);
    expect(await subscriptionRow(t, vendor.vendorId)).toMatchObject({ tier_code: 'professional', status: 'active' });
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed' });
  });
});
