import { signUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { BILLING, sentSince, syncCatalog } from './billing-fixtures.js';

describe('billing: Checkout with STRIPE_AUTOMATIC_TAX=true', () => {
  const { t, double } = useStripeTestApp({ STRIPE_AUTOMATIC_TAX: 'true', APP_BASE_URL: 'https://shop.platform.test/' });

  beforeAll(async () => {
    await syncCatalog(t);
  });

  it('turns on automatic tax and tax-id collection, letting Checkout save the address and name on the customer', async () => {
    const v = await signUpVendor(t);
    const from = double.requests.length;
    expect((await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false })).status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'ssl_premium' })).status).toBe(200);
    const sessions = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    expect(sessions).toHaveLength(2);
    for (const s of sessions) {
      expect(s.params).toMatchObject({
        automatic_tax: { enabled: 'true' }, tax_id_collection: { enabled: 'true' }, customer_update: { address: 'auto', name: 'auto' },
        billing_address_collection: 'required',
      });
    }
    expect(sessions[0].params.success_url).toBe(`https://shop.platform.test/vendor/${v.code}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`);
  });
});
