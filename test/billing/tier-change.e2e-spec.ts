import { signUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { BILLING, sentSince, subscribedVendor, subscriptionRow, syncCatalog, type TierPriceIds } from './billing-fixtures.js';

describe('billing: invoices, upcoming invoice and tier change', () => {
  const { t, double } = useStripeTestApp();
  let prices: TierPriceIds;

  beforeAll(async () => {
    prices = await syncCatalog(t);
  });

  describe('GET /invoices', () => {
    it('lists the vendor\'s invoices newest first, paginated, with the contract\'s fields', async () => {
      const v = await signUpVendor(t);
      const other = await signUpVendor(t);
      const insert = (vendorId: number, id: string, date: string, total: number) =>
        t.db.query(
          `INSERT INTO billing_history (vendor_id, stripe_invoice_id, invoice_number, invoice_date, due_date, total_cents, amount_paid_cents, currency, status, pdf_url, hosted_url)
           VALUES ($1, $2::text, $2::text || '-no', $3, NULL, $4, $4, 'eur', 'paid', 'https://pdf.test/' || $2::text, 'https://pay.test/' || $2::text)`,
          [vendorId, id, date, total],
        );
      await insert(v.vendorId, 'in_old', '2026-08-01T00:00:00Z', 4900);
      await insert(v.vendorId, 'in_new', '2026-10-01T00:00:00Z', 9900);
      await insert(v.vendorId, 'in_mid', '2026-09-01T00:00:00Z', 4900);
      await insert(other.vendorId, 'in_other', '2026-11-01T00:00:00Z', 100);

      const first = await api(t, v.token).get(`${BILLING}/invoices?limit=2&offset=0`);
      expect(first.status).toBe(200);
      expect(first.body.total).toBe(3);
      expect(first.body.invoices.map((i: { stripe_invoice_id: string }) => i.stripe_invoice_id)).toEqual(['in_new', 'in_mid']);
      expect(first.body.invoices[0]).toEqual({
        id: expect.any(Number), stripe_invoice_id: 'in_new', invoice_number: 'in_new-no', invoice_date: '2026-10-01T00:00:00.000Z', due_date: null,
        total_cents: 9900, amount_paid_cents: 9900, currency: 'eur', status: 'paid', pdf_url: 'https://pdf.test/in_new', hosted_url: 'https://pay.test/in_new',
        description: null,
      });
      const rest = await api(t, v.token).get(`${BILLING}/invoices?limit=2&offset=2`);
      expect(rest.body).toMatchObject({ total: 3, invoices: [{ stripe_invoice_id: 'in_old' }] });
      expect((await api(t, v.token).get(`${BILLING}/invoices`)).body.invoices).toHaveLength(3);
    });

    it('refuses an out-of-range limit or offset', async () => {
      const v = await signUpVendor(t);
      for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc']) {
        const res = await api(t, v.token).get(`${BILLING}/invoices?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.error_code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('GET /upcoming-invoice', () => {
    it('previews the next renewal of the subscription', async () => {
      const v = await subscribedVendor(t, double, 'essential');
      const res = await api(t, v.token).get(`${BILLING}/upcoming-invoice`);
      expect(res.status).toBe(200);
      const renewal = double.state.subscriptions.get(v.subscriptionId)!.items.data[0].current_period_end;
      expect(res.body).toEqual({
        amount_due_cents: 4900, currency: 'eur', next_payment_attempt: new Date(renewal * 1000).toISOString(), proration_date: null,
        lines: [{ description: expect.any(String), amount_cents: 4900, quantity: 1, overage: false }],
      });
      const [sent] = sentSince(double, 0, 'POST', '/v1/invoices/create_preview').filter((r) => r.params.subscription === v.subscriptionId);
      expect(sent.params).toEqual({ customer: v.customerId, subscription: v.subscriptionId });
    });

    it('answers NO_ACTIVE_SUBSCRIPTION without a Stripe subscription', async () => {
      const v = await signUpVendor(t);
      const res = await api(t, v.token).get(`${BILLING}/upcoming-invoice?tier_code=business`);
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('NO_ACTIVE_SUBSCRIPTION');
    });

    it('answers TIER_NOT_FOUND for a preview of an unknown tier', async () => {
      const v = await subscribedVendor(t, double, 'essential');
      expect((await api(t, v.token).get(`${BILLING}/upcoming-invoice?tier_code=platinum`)).body.error_code).toBe('TIER_NOT_FOUND');
      expect((await api(t, v.token).get(`${BILLING}/upcoming-invoice?is_annual=maybe`)).body.error_code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /change-tier', () => {
    it('upgrades in Stripe with the preview\'s proration date, so the charge equals the preview', async () => {
      const v = await subscribedVendor(t, double, 'essential');
      const from = double.requests.length;

      const preview = await api(t, v.token).get(`${BILLING}/upcoming-invoice?tier_code=business&is_annual=false`);
      expect(preview.status).toBe(200);
      const prorationDate = preview.body.proration_date;
      expect(Number.isInteger(prorationDate)).toBe(true);
      expect(Math.abs(prorationDate - Date.now() / 1000)).toBeLessThan(60);
      expect(preview.body.amount_due_cents).toBeGreaterThan(0);

      await new Promise((resolve) => setTimeout(resolve, 1100)); // the change happens a second later than the preview
      const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false, proration_date: prorationDate });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: expect.any(String), new_tier: 'business', effective_immediately: true });
      const [previewSent] = sentSince(double, from, 'POST', '/v1/invoices/create_preview');
      const [update] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`);
      const itemId = double.state.subscriptions.get(v.subscriptionId)!.items.data[0].id;
      const expectedChange = { items: [{ id: itemId, price: prices.business.month }], proration_behavior: 'always_invoice', proration_date: String(prorationDate) };
      expect(previewSent.params.subscription_details).toEqual(expectedChange);
      expect(update.params).toMatchObject(expectedChange);
      expect(update.params.metadata).toMatchObject({ tier_code: 'business', vendor_id: String(v.vendorId) });
      expect(update.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);

      const [previewed, charged] = double.prorationsFor(v.subscriptionId);
      expect([previewed.source, charged.source]).toEqual(['preview', 'update']);
      expect(charged.amount).toBe(previewed.amount);
      expect(preview.body.amount_due_cents).toBe(charged.amount);

      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'business', is_annual: false, stripe_price_id: prices.business.month });
    });

    it('downgrades with the credit left for the next invoice (create_prorations)', async () => {
      const v = await subscribedVendor(t, double, 'professional');
      const from = double.requests.length;
      const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false });
      expect(res.status).toBe(200);
      const [update] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`);
      expect(update.params).toMatchObject({ proration_behavior: 'create_prorations', items: [{ price: prices.essential.month }] });
      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'essential', stripe_price_id: prices.essential.month });
    });

    it('refuses a downgrade below current usage with each violation, before asking Stripe', async () => {
      const v = await subscribedVendor(t, double, 'business');
      await t.db.query(`UPDATE vendor_subscriptions SET products_count = 250, team_members_count = 4 WHERE vendor_id = $1`, [v.vendorId]);
      const from = double.requests.length;

      const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false });

      expect(res.status).toBe(409);
      expect(res.body.error_code).toBe('DOWNGRADE_EXCEEDS_LIMITS');
      expect(res.body.details.violations).toEqual(expect.arrayContaining([
        { limit_type: 'products', current: 250, limit: 200 },
        { limit_type: 'team_members', current: 4, limit: 1 },
      ]));
      expect(res.body.details.violations).toHaveLength(2);
      expect(double.requests.length).toBe(from);
      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'business', stripe_price_id: prices.business.month });
    });

    it('changes a trial vendor\'s tier locally at once, without Stripe', async () => {
      const v = await signUpVendor(t);
      const from = double.requests.length;
      const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'professional', is_annual: true });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ new_tier: 'professional', effective_immediately: true });
      expect(double.requests.length).toBe(from);
      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'professional', is_annual: true, status: 'trial' });
      const view = await api(t, v.token).get(`${BILLING}/subscription`);
      expect(view.body.tier.code).toBe('professional');
    });

    it('answers TIER_NOT_FOUND for an unknown tier and VALIDATION_FAILED for a stale proration date', async () => {
      const v = await subscribedVendor(t, double, 'essential');
      expect((await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'platinum', is_annual: false })).status).toBe(404);
      const stale = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false, proration_date: Math.floor(Date.now() / 1000) - 3 * 86_400 });
      expect(stale.status).toBe(400);
      expect(stale.body.details.errors[0].field).toBe('proration_date');
      expect((await subscriptionRow(t, v.vendorId)).tier_code).toBe('essential');
    });

    it('keeps the local tier when Stripe refuses the change (502)', async () => {
      const v = await subscribedVendor(t, double, 'essential');
      double.failNext({ method: 'POST', path: `/v1/subscriptions/${v.subscriptionId}`, status: 402, code: 'card_declined' });
      const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'professional', is_annual: false });
      expect(res.status).toBe(502);
      expect(res.body.error_code).toBe('PAYMENT_PROVIDER_ERROR');
      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'essential', stripe_price_id: prices.essential.month });
      expect(double.state.subscriptions.get(v.subscriptionId)!.items.data[0].price.id).toBe(prices.essential.month);
    });
  });
});
