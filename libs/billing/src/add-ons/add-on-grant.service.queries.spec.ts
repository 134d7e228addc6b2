// Renders AddOnGrantService's one statement for a paid add-on Checkout (the vendor's row, the rows it may land on,
// the verdict, the ledger's claim, the grant or the needs-attention record and its platform event) into
// add-on-grant.service.queries.sql, and fails when it drifts from it (DESIGN.md "Statements a reviewer can read").
// Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter } from '@app/subscription';
import { expectQueriesFile } from '../../../../test/support/queries-file.js';
import { ledgerClaim } from '../webhooks/webhook-ledger.js';
import { AddOnGrantService } from './add-on-grant.service.js';
import { VendorAddOnRepository } from './vendor-add-on.repository.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
const service = new AddOnGrantService(new VendorAddOnRepository(clock), clock, new PlatformEventWriter(), new SubscriptionWriter(clock));
const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function session(over: Record<string, unknown> = {}): Stripe.Checkout.Session {
  return { id: 'cs_1', object: 'checkout.session', mode: 'subscription', payment_status: 'paid', subscription: 'sub_addon_1', metadata: { vendor_id: '7', addon_code: 'custom_domain', domain_name: 'shop.example.com' }, ...over } as unknown as Stripe.Checkout.Session;
}
const subscription = {
  id: 'sub_addon_1', object: 'subscription', status: 'active', customer: 'cus_1', metadata: { addon_code: 'custom_domain' },
  items: { data: [{ id: 'si_1', quantity: 1, current_period_start: unix('2026-03-15T11:00:00Z'), current_period_end: unix('2027-03-15T11:00:00Z') }] },
} as unknown as Stripe.Subscription;

function claimOf(object: Stripe.Checkout.Session) {
  const event = { id: 'evt_1', object: 'event', type: 'checkout.session.completed', created: unix('2026-03-15T11:59:59Z'), data: { object } } as unknown as Stripe.Event;
  return ledgerClaim({ event, payload: JSON.stringify(event), createdAt: new Date(event.created * 1000), replay: false, now: clock.now() });
}

describe('AddOnGrantService statements', () => {
  it('match add-on-grant.service.queries.sql', () => {
    const oneOff = session({ mode: 'payment', subscription: null, metadata: { vendor_id: '7', addon_code: 'priority_support' } });
    expectQueriesFile(import.meta.url, [
      { method: 'AddOnGrantService.recordCheckoutPurchase', variant: 'a domain add-on with its subscription', statement: service.grantStatement({ vendorId: 7, session: session(), subscription }, claimOf(session())) },
      { method: 'AddOnGrantService.recordCheckoutPurchase', variant: 'a one-off payment without a domain', statement: service.grantStatement({ vendorId: 7, session: oneOff, subscription: null }, claimOf(oneOff)) },
      { method: 'AddOnGrantService.recordCheckoutPurchase', variant: 'ignored before anything is read: only the claim', statement: service.ignoreStatement(claimOf(session()), 'checkout session cs_1 carries no metadata.vendor_id') },
    ]);
  });
});
