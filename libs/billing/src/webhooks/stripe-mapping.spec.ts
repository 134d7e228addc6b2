import type { Stripe } from '@app/stripe';
import { legacyInvoice, legacySubscription, openapiFixture } from './fixtures/stripe-shapes.js';
import {
  idOf, invoiceLineKind, invoiceSubscriptionId, invoiceSubscriptionMetadata, planItem, scheduledCancellation, subscriptionPeriod, subscriptionPrice,
  subscriptionPriceIds,
} from './stripe-mapping.js';

const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
const START = unix('2026-11-15T00:00:00Z');
const END = unix('2026-12-15T00:00:00Z');

/** Stripe's example subscription (current shape) with a valid period on its item and `items` as given. */
function current(over: Partial<Stripe.Subscription> = {}, items?: Partial<Stripe.SubscriptionItem>[]): Stripe.Subscription {
  const sub = openapiFixture('subscription');
  const base = sub.items.data[0];
  Object.assign(base, { current_period_start: START, current_period_end: END });
  if (items) sub.items.data = items.map((item, i) => ({ ...structuredClone(base), id: `si_${i}`, ...item }) as Stripe.SubscriptionItem);
  return Object.assign(sub, { cancel_at: null, cancel_at_period_end: false }, over);
}

const price = (id: string, over: Partial<Stripe.Price> = {}) => ({ ...openapiFixture('subscription').items.data[0].price, id, ...over }) as Stripe.Price;

describe('subscriptionPeriod', () => {
  it('reads the period from the item (2025-03-31 on)', () => {
    expect(subscriptionPeriod(current())).toEqual({ start: new Date(START * 1000), end: new Date(END * 1000) });
  });

  it('reads the period from the subscription (2020-08-27, 2024-06-20: none on the items)', () => {
    for (const version of ['2020-08-27', '2024-06-20'] as const) {
      const sub = legacySubscription(version, { id: 'sub_old', customer: 'cus_old', prices: [{ id: 'price_b' }], periodStart: START, periodEnd: END });
      expect(sub.items.data[0].current_period_start).toBeUndefined();
      expect(subscriptionPeriod(sub)).toEqual({ start: new Date(START * 1000), end: new Date(END * 1000) });
    }
  });

  it("is none for Stripe's example item, whose made-up period ends before it starts", () => {
    expect(subscriptionPeriod(openapiFixture('subscription'))).toBeNull();
  });
});

describe('planItem and the plan price', () => {
  const addOn = { price: price('price_domain', { lookup_key: 'addon:custom_domain' }) };
  const plan = { price: price('price_business', { lookup_key: 'tier:business:month' }) };

  it("finds the plan on the second item, after an add-on's (marked by our catalog's lookup keys)", () => {
    const sub = current({}, [addOn, plan]);
    expect(planItem(sub)?.id).toBe('si_1');
    expect(subscriptionPrice(sub)?.id).toBe('price_business');
    expect(subscriptionPriceIds(sub)).toEqual(['price_business', 'price_domain']);
  });

  it('skips an item marked as an add-on even when the plan price has no mark', () => {
    const sub = current({}, [addOn, { price: price('price_unmarked') }]);
    expect(subscriptionPrice(sub)?.id).toBe('price_unmarked');
  });

  it("prefers a price the caller knows as the plan's, and reads a product's metadata when it is expanded", () => {
    const sub = current({}, [{ price: price('price_a') }, { price: price('price_b') }]);
    expect(planItem(sub, new Set(['price_b']))?.id).toBe('si_1');
    const product = { id: 'prod_x', object: 'product', metadata: { tier_code: 'business' } } as unknown as Stripe.Product;
    expect(planItem(current({}, [{ price: price('price_a') }, { price: price('price_b', { product }) }]))?.id).toBe('si_1');
  });

  it("keeps Stripe's example: one item, the first", () => {
    const sub = openapiFixture('subscription');
    expect(subscriptionPrice(sub)?.id).toBe('price_1PgafmB7WZ01zgkW6dKueIc5');
    expect(subscriptionPriceIds(sub)).toEqual(['price_1PgafmB7WZ01zgkW6dKueIc5']);
  });

  it('takes the period of the plan item', () => {
    const sub = current({}, [{ ...addOn, current_period_start: START - 86_400, current_period_end: END + 86_400 * 300 }, plan]);
    expect(subscriptionPeriod(sub)).toEqual({ start: new Date(START * 1000), end: new Date(END * 1000) });
  });

  it('takes a price given as a plain id', () => {
    const sub = current({}, [{ price: 'price_plain' as unknown as Stripe.Price }]);
    expect(subscriptionPrice(sub)).toMatchObject({ id: 'price_plain', recurring: null });
    expect(subscriptionPriceIds(sub)).toEqual(['price_plain']);
  });
});

describe('scheduledCancellation', () => {
  it('is at the period end for cancel_at_period_end, as Stripe reports it (cancel_at = the period end)', () => {
    expect(scheduledCancellation(current({ cancel_at_period_end: true, cancel_at: END }))).toEqual({ atPeriodEnd: true, at: null });
  });

  it('is at the period end for a cancel_at on the period end with cancel_at_period_end false (cancel_at, min_period_end)', () => {
    expect(scheduledCancellation(current({ cancel_at: END }))).toEqual({ atPeriodEnd: true, at: null });
    const old = legacySubscription('2020-08-27', { id: 'sub_old', customer: 'cus', prices: [{ id: 'p' }], periodStart: START, periodEnd: END, cancel_at: END });
    expect(scheduledCancellation(old)).toEqual({ atPeriodEnd: true, at: null });
  });

  it('is another date for any other cancel_at', () => {
    const at = unix('2026-12-01T00:00:00Z');
    expect(scheduledCancellation(current({ cancel_at: at }))).toEqual({ atPeriodEnd: false, at: new Date(at * 1000) });
  });

  it('is none without either', () => {
    expect(scheduledCancellation(current())).toEqual({ atPeriodEnd: false, at: null });
  });
});

describe('the invoice', () => {
  it("finds its subscription under parent.subscription_details (Stripe's example)", () => {
    expect(invoiceSubscriptionId(openapiFixture('invoice'))).toBe('subscription');
  });

  it('finds it at the top (2020-08-27, 2024-06-20), as an id or an expanded object', () => {
    const input = { id: 'in_old', customer: 'cus_old', subscription: 'sub_old', status: 'open' as const, amount: 2900, lineStart: START, lineEnd: END, created: START };
    expect(invoiceSubscriptionId(legacyInvoice('2020-08-27', input))).toBe('sub_old');
    const expanded = { ...legacyInvoice('2024-06-20', input), subscription: { id: 'sub_exp', object: 'subscription', metadata: { vendor_id: '7' } } } as unknown as Stripe.Invoice;
    expect(invoiceSubscriptionId(expanded)).toBe('sub_exp');
    expect(invoiceSubscriptionMetadata(expanded)).toEqual({});
    expect(invoiceSubscriptionMetadata({ ...expanded, subscription_details: null } as unknown as Stripe.Invoice)).toEqual({ vendor_id: '7' });
  });

  it("reads the subscription's metadata where each version puts it", () => {
    const input = { id: 'in_old', customer: 'cus_old', subscription: 'sub_old', metadata: { vendor_id: '42' }, status: 'paid' as const, amount: 2900, lineStart: START, lineEnd: END, created: START };
    expect(invoiceSubscriptionMetadata(legacyInvoice('2024-06-20', input))).toEqual({ vendor_id: '42' });
    expect(invoiceSubscriptionMetadata(legacyInvoice('2020-08-27', input))).toBeNull();
    const now = openapiFixture('invoice');
    now.parent!.subscription_details!.metadata = { vendor_id: '9' };
    expect(invoiceSubscriptionMetadata(now)).toEqual({ vendor_id: '9' });
    expect(invoiceSubscriptionId({ ...now, parent: null } as Stripe.Invoice)).toBeNull();
  });

  it('tells a subscription line and a proration in either shape', () => {
    const input = { id: 'in_old', customer: 'c', subscription: 's', status: 'paid' as const, amount: 1, lineStart: START, lineEnd: END, created: START };
    expect(invoiceLineKind(legacyInvoice('2020-08-27', input).lines.data[0])).toEqual({ subscriptionItem: true, proration: false });
    // Stripe's example line: an invoice item (parent.type invoice_item_details), a proration.
    expect(invoiceLineKind(openapiFixture('invoice').lines.data[0])).toEqual({ subscriptionItem: false, proration: true });
  });
});

describe('idOf', () => {
  it('takes an id, an expanded object or nothing', () => {
    expect(idOf('cus_1')).toBe('cus_1');
    expect(idOf({ id: 'cus_2' })).toBe('cus_2');
    expect(idOf(null)).toBeNull();
  });
});
