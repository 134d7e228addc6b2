import type Stripe from 'stripe';
import { stripeClient } from '../webhooks/webhook-fixtures.js';
import { insertSubscription } from './subscription-rows.js';
import { useStripeWorker } from './worker-context.js';

const MINUTE_MS = 60_000;

/**
 * CONTRACT §5: a domain is held from Checkout until that Checkout expires. When Stripe's word that it expired never
 * arrives, the hourly reconciliation asks Stripe and releases the hold; a paid one is kept.
 */
describe('sync-stripe-status: domain holds whose Checkout ended unseen', () => {
  const { w, double } = useStripeWorker();
  let priceId: string;
  let domainProduct: number;

  beforeAll(async () => {
    priceId = double.createPrice({ unit_amount: 1500, interval: 'year', product_name: 'Custom Domain' }).id;
    [{ id: domainProduct }] = await w.db.query(`SELECT id FROM add_on_products WHERE code = 'domain'`);
  });

  /** A vendor's pending hold of `domain` until `expiresAt`, behind a Checkout session whose status Stripe says is `status` (or none). */
  async function hold(domain: string, expiresAt: Date, status: Stripe.Checkout.Session.Status | null) {
    const { vendorId } = await insertSubscription(w.db, { status: 'active', period_start: new Date(), period_end: new Date(Date.now() + 30 * 86_400_000) });
    let sessionId: string | null = null;
    if (status) {
      const session = await stripeClient(double).checkout.sessions.create({
        mode: 'subscription', line_items: [{ price: priceId, quantity: 1 }], success_url: 'http://billing.test/ok', metadata: { vendor_id: String(vendorId), addon_code: 'domain', domain_name: domain },
      });
      double.state.sessions.get(session.id)!.status = status; // as Stripe holds it, with no event sent
      sessionId = session.id;
    }
    await w.db.query(
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, domain_name, quantity, hold_expires_at, stripe_checkout_session_id, created_at, updated_at)
       VALUES ($1, $2, 'pending', $3, 1, $4, $5, now(), now())`,
      [vendorId, domainProduct, domain, expiresAt, sessionId],
    );
    return sessionId;
  }

  it('releases lapsed holds Stripe says expired or that never reached it, keeps a paid one, and leaves open ones unread', async () => {
    const now = w.clock.now().getTime();
    const lapsed = new Date(now - 60 * MINUTE_MS);
    const expired = await hold('expired.example.com', lapsed, 'expired');
    const paid = await hold('paid.example.com', lapsed, 'complete');
    await hold('unsent.example.com', lapsed, null);
    const justLapsed = await hold('just-lapsed.example.com', new Date(now - 2 * MINUTE_MS), 'expired');
    const open = await hold('open.example.com', new Date(now + 30 * MINUTE_MS), 'open');
    const from = double.requests.length;

    const run = await w.run('sync-stripe-status');

    expect(run).toMatchObject({ status: 'succeeded', details: expect.objectContaining({ holds_released: 2, holds_paid: 1, holds_unconfirmed: 0 }) });
    const left = await w.db.query(`SELECT domain_name, status FROM vendor_add_ons WHERE domain_name LIKE '%.example.com' ORDER BY domain_name`);
    expect(left).toEqual([
      { domain_name: 'just-lapsed.example.com', status: 'pending' }, // Stripe's own expiry event still has time to come
      { domain_name: 'open.example.com', status: 'pending' },
      { domain_name: 'paid.example.com', status: 'pending' },
    ]);
    const read = double.requests.slice(from).filter((r) => r.method === 'GET' && r.path.startsWith('/v1/checkout/sessions/')).map((r) => r.path.split('/').pop());
    expect(read.sort()).toEqual([expired, paid].sort());
    expect(read).not.toContain(open);
    expect(read).not.toContain(justLapsed);

    // The next run reads only the paid one again, and releases nothing more.
    const again = await w.run('sync-stripe-status');
    expect(again.details).toMatchObject({ holds_released: 0, holds_paid: 1 });
  });
});
