import type Stripe from 'stripe';
import { assertOneInterval, findCustomer, findPrice } from '../billing.js';
import type { Params } from '../form-parser.js';
import { applyMetadata, bool, invalid, missing, num, obj, objects, required, str, strings } from '../params.js';
import { newId, type StripeState } from '../store.js';
import { listPage, newestFirst, route, type Route, type RouteContext } from './common.js';
import { trialEndOf } from './subscriptions.js';

export function findSession(state: StripeState, id: string): Stripe.Checkout.Session {
  const session = state.sessions.get(id);
  if (!session) throw missing('checkout.session', id);
  return expireIfDue(state, session);
}

/**
 * As at Stripe, an open session expires at its `expires_at` (by the double's clock, `setTime` included): it reads
 * `expired` from then on and can no longer be completed. The double notices on the next read (no event is emitted;
 * `POST /v1/checkout/sessions/:id/expire` emits `checkout.session.expired`).
 */
function expireIfDue(state: StripeState, session: Stripe.Checkout.Session): Stripe.Checkout.Session {
  if (session.status === 'open' && session.expires_at <= state.now()) session.status = 'expired';
  return session;
}

/** Stripe's window for `expires_at`: 30 minutes to 24 hours after the session is created (default 24 hours). */
function expiresAtOf(params: Params, now: number): number {
  const expiresAt = num(params, 'expires_at');
  if (expiresAt === undefined) return now + 24 * 3600;
  if (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600) {
    throw invalid('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
  }
  return expiresAt;
}

function createSession(ctx: RouteContext): Stripe.Checkout.Session {
  const { state, params } = ctx;
  const mode = (str(params, 'mode') ?? 'payment') as Stripe.Checkout.Session.Mode;
  if (!['payment', 'subscription', 'setup'].includes(mode)) throw invalid(`Invalid mode: ${mode}`, 'mode');
  const customer = str(params, 'customer');
  if (customer) findCustomer(state, customer);
  const lineItems = objects(params, 'line_items').map((item, i) => ({ price: required(item, 'price'), quantity: num(item, 'quantity') ?? 1, index: i }));
  if (mode !== 'setup' && lineItems.length === 0) throw invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
  const prices = lineItems.map((item) => findPrice(state, item.price, `line_items[${item.index}][price]`));
  // A metered price takes no quantity (Stripe bills what its meter sums) and charges nothing up front.
  const metered = prices.map((p) => p.recurring?.usage_type === 'metered');
  for (const [i, item] of lineItems.entries()) {
    if (metered[i] && num(objects(params, 'line_items')[i], 'quantity') !== undefined) {
      throw invalid('Quantity should not be specified where usage_type is `metered`. Remove quantity from `line_items[' + item.index + ']`.', `line_items[${item.index}][quantity]`);
    }
  }
  if (mode === 'subscription' && !prices.some((p) => p.recurring)) {
    throw invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
  }
  if (mode === 'subscription') assertOneInterval(prices.filter((p) => p.recurring), 'line_items');
  if (mode === 'payment' && prices.some((p) => p.recurring)) {
    throw invalid('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', 'line_items');
  }
  if (!str(params, 'success_url') && !['embedded_page', 'elements'].includes(str(params, 'ui_mode') ?? '')) throw invalid('Missing required param: success_url.', 'success_url', 'parameter_missing');
  const subscriptionData = obj(params, 'subscription_data') ?? {};
  const trialEnd = trialEndOf(state, subscriptionData);
  const amount = trialEnd ? 0 : lineItems.reduce((sum, item, i) => sum + (metered[i] ? 0 : (prices[i].unit_amount ?? 0) * item.quantity), 0);
  const id = newId('cs_test');
  const now = state.now();
  const session = {
    id, object: 'checkout.session', adaptive_pricing: null, after_expiration: null, allowed_payment_method_types: null, allow_promotion_codes: bool(params, 'allow_promotion_codes') ?? null,
    amount_subtotal: amount, amount_total: amount, automatic_tax: { enabled: bool(obj(params, 'automatic_tax') ?? {}, 'enabled') ?? false, liability: null, provider: null, status: null },
    billing_address_collection: str(params, 'billing_address_collection') ?? null, cancel_url: str(params, 'cancel_url') ?? null,
    client_reference_id: str(params, 'client_reference_id') ?? null, client_secret: null, collected_information: null, consent: null,
    consent_collection: null, created: now, currency: prices[0]?.currency ?? 'usd', currency_conversion: null, custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer ?? null, customer_account: null, customer_creation: customer ? null : 'if_required', customer_details: null,
    customer_email: str(params, 'customer_email') ?? null, discounts: [], expires_at: expiresAtOf(params, now), integration_identifier: null, invoice: null, invoice_creation: null,
    livemode: false, locale: str(params, 'locale') ?? null, managed_payments: null, metadata: applyMetadata({}, params), mode, origin_context: null, payment_intent: null, payment_link: null,
    payment_method_collection: mode === 'subscription' ? 'always' : null, payment_method_configuration_details: null, payment_method_options: {},
    payment_method_types: ['card'], payment_status: 'unpaid', permissions: null, recovered_from: null, saved_payment_method_options: null,
    setup_intent: null, shipping_address_collection: null, shipping_cost: null, shipping_options: [], status: 'open', submit_type: null,
    subscription: null, success_url: str(params, 'success_url') ?? null,
    tax_id_collection: { enabled: bool(obj(params, 'tax_id_collection') ?? {}, 'enabled') ?? false, required: 'never' },
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 }, ui_mode: str(params, 'ui_mode') ?? 'hosted_page',
    url: `https://checkout.stripe.test/c/pay/${id}`, wallet_options: null,
  } as unknown as Stripe.Checkout.Session;
  state.sessions.set(id, session);
  state.sessionExtras.set(id, {
    lineItems: lineItems.map(({ price, quantity }) => ({ price, quantity })), subscriptionMetadata: applyMetadata({}, subscriptionData),
    trialEnd, trialPeriodDays: num(subscriptionData, 'trial_period_days') ?? null,
  });
  return session;
}

function sessionLineItems(state: StripeState, sessionId: string) {
  return (state.sessionExtras.get(sessionId)?.lineItems ?? []).map((item, i) => {
    const price = state.prices.get(item.price) as Stripe.Price;
    const total = (price.unit_amount ?? 0) * item.quantity;
    return {
      id: `li_${sessionId.slice(-12)}${i}`, object: 'item', amount_discount: 0, amount_subtotal: total, amount_tax: 0, amount_total: total,
      currency: price.currency, description: state.products.get(price.product as string)?.name ?? '', price, quantity: item.quantity,
    };
  });
}

function createPortalSession({ state, params }: RouteContext): Stripe.BillingPortal.Session {
  const customer = findCustomer(state, required(params, 'customer'));
  const id = newId('bps');
  const session = {
    id, object: 'billing_portal.session', configuration: str(params, 'configuration') ?? 'bpc_double_default', created: state.now(),
    customer: customer.id, customer_account: null, flow: null, livemode: false, locale: str(params, 'locale') ?? null, on_behalf_of: null,
    return_url: str(params, 'return_url') ?? null, url: `https://billing.stripe.test/p/session/${id}`,
  } as unknown as Stripe.BillingPortal.Session;
  state.portalSessions.set(id, session);
  return session;
}

export const checkoutRoutes: Route[] = [
  route('POST', '/v1/checkout/sessions', createSession),
  route('GET', '/v1/checkout/sessions/:id/line_items', ({ captures, params, state }) => {
    findSession(state, captures[0]);
    return listPage(sessionLineItems(state, captures[0]), params, `/v1/checkout/sessions/${captures[0]}/line_items`);
  }),
  route('GET', '/v1/checkout/sessions/:id', ({ captures, params, state }) => {
    const session = findSession(state, captures[0]);
    if (!strings(params, 'expand').includes('line_items')) return session;
    // `line_items` is not on the session unless expanded.
    return { ...session, line_items: listPage(sessionLineItems(state, session.id), { limit: '100' }, `/v1/checkout/sessions/${session.id}/line_items`) };
  }),
  route('POST', '/v1/checkout/sessions/:id/expire', ({ captures, state, emit }) => {
    const session = findSession(state, captures[0]);
    if (session.status !== 'open') throw invalid(`Only Checkout Sessions with a status in ["open"] can be expired.`, undefined, 'checkout_session_not_open');
    session.status = 'expired';
    emit('checkout.session.expired', session);
    return session;
  }),
  route('GET', '/v1/checkout/sessions', ({ params, state }) => {
    const customer = str(params, 'customer');
    const subscription = str(params, 'subscription');
    const all = newestFirst(state.sessions.values()).map((s) => expireIfDue(state, s)).filter((s) => (!customer || s.customer === customer) && (!subscription || s.subscription === subscription));
    return listPage(all, params, '/v1/checkout/sessions');
  }),
  route('POST', '/v1/billing_portal/sessions', createPortalSession),
];
