import pg from 'pg';
import { waitForDatabase } from '../support/database.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, linkedVendor, priceTheTiers, subscriptionRow } from './webhook-fixtures.js';

describe('Stripe webhooks while the database is unreachable', () => {
  const { t, double } = useStripeTestApp();

  it('answers 5xx and keeps nothing, so that the retry processes the event', async () => {
    const prices = await priceTheTiers(t, double);
    const { vendor, subscription } = await linkedVendor(t, double, prices.businessMonthly);
    const event = double.makeEvent('customer.subscription.updated', subscription);
    const database = new URL(t.databaseUrl).pathname.slice(1);
    const server = new URL(t.databaseUrl);
    server.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: server.toString() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);

      const down = await deliver(t, double, event);
      expect(down.status).toBeGreaterThanOrEqual(500);
    } finally {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitForDatabase(t.db);
    expect(await eventRow(t, event.id)).toBeUndefined();
    expect((await subscriptionRow(t, vendor.vendorId)).tier_code).toBe('essential');

    const back = await deliver(t, double, event);

    expect(back.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect((await subscriptionRow(t, vendor.vendorId)).tier_code).toBe('business');
  });
});
