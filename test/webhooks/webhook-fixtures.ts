import Stripe from 'stripe';
import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import type { StripeDouble } from '../stripe-double/stripe-double.js';
import type { TestApp } from '../support/test-app.js';

export const WEBHOOK_PATH = '/api/v1/webhooks/stripe';

export interface TierPrices {
  essentialMonthly: Stripe.Price;
  professionalMonthly: Stripe.Price;
  professionalAnnual: Stripe.Price;
  businessMonthly: Stripe.Price;
}

/** Stripe prices for the tiers, with their ids stored on the tier rows as the catalog sync would. */
export async function priceTheTiers(t: TestApp, double: StripeDouble): Promise<TierPrices> {
  const prices: TierPrices = {
    essentialMonthly: double.createPrice({ unit_amount: 4900, currency: 'eur', interval: 'month', product_name: 'Essential' }),
    professionalMonthly: double.createPrice({ unit_amount: 9900, currency: 'eur', interval: 'month', product_name: 'Professional' }),
    professionalAnnual: double.createPrice({ unit_amount: 99000, currency: 'eur', interval: 'year', product_name: 'Professional' }),
    businessMonthly: double.createPrice({ unit_amount: 19900, currency: 'eur', interval: 'month', product_name: 'Business' }),
  };
  await t.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1 WHERE code = 'essential'`, [prices.essentialMonthly.id]);
  await t.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1, stripe_price_annual_id = $2 WHERE code = 'professional'`, [prices.professionalMonthly.id, prices.professionalAnnual.id]);
  await t.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1 WHERE code = 'business'`, [prices.businessMonthly.id]);
  return prices;
}

export interface LinkedVendor {
  vendor: SignedUpVendor;
  customerId: string;
  subscription: Stripe.Subscription;
}

/** A signed-up vendor with a Stripe customer and subscription in the double, both ids stored on its row. */
export async function linkedVendor(
  t: TestApp,
  double: StripeDouble,
  price: Stripe.Price,
  opts: { status?: Stripe.Subscription.Status; periodStart?: number; link?: boolean } = {},
): Promise<LinkedVendor> {
  const vendor = await signUpVendor(t);
  const customer = double.createCustomer({ metadata: { vendor_id: String(vendor.vendorId) } });
  // Not before the signup: Stripe's period of a subscription bought after signing up starts later than the trial's.
  const start = opts.periodStart ?? Math.ceil(Date.now() / 1000) + 1;
  const subscription = double.createSubscription({
    customer: customer.id, price: price.id, status: opts.status ?? 'active', metadata: { vendor_id: String(vendor.vendorId) },
    current_period_start: start, current_period_end: start + 30 * 86_400,
  });
  if (opts.link !== false) {
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3 WHERE vendor_id = $1`, [vendor.vendorId, customer.id, subscription.id]);
  }
  return { vendor, customerId: customer.id, subscription };
}

/** Posts `event` as Stripe would: the JSON body and its `Stripe-Signature`. */
export function deliver(t: TestApp, double: StripeDouble, event: object, opts: { secret?: string; timestamp?: number } = {}) {
  const { body, signature } = double.signedPayload(event, opts.secret, { timestamp: opts.timestamp });
  return request(t.http).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(body);
}

/** The real SDK pointed at the double, for setting up Checkout sessions as the app would. */
export function stripeClient(double: StripeDouble): Stripe {
  return new Stripe('sk_test_fixture', { host: '127.0.0.1', port: double.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}

export async function subscriptionRow(t: TestApp, vendorId: number) {
  const [row] = await t.db.query(`SELECT * FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]);
  return row;
}

export async function eventRow(t: TestApp, eventId: string) {
  const [row] = await t.db.query(`SELECT * FROM stripe_webhook_events WHERE event_id = $1`, [eventId]);
  return row;
}

export const unix = (d: Date) => Math.floor(d.getTime() / 1000);
