// Renders the statements of StripeWebhookService into stripe-webhook.service.queries.sql — a plan's subscription
// event (SubscriptionWriter's CTEs fused with the ledger's claim) and the claim alone — and fails when they drift
// from it (DESIGN.md "Statements a reviewer can read"). Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { SqlParams } from '@app/database';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter } from '@app/subscription';
import { expectQueriesFile } from '../../../../test/support/queries-file.js';
import { toSubscriptionPatch } from './subscription-patch.js';
import { claimSql, fixedOutcome, ledgerClaim, planEventStep, type Claim } from './webhook-ledger.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
const writer = new SubscriptionWriter(clock);
const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

const subscription = {
  id: 'sub_1', object: 'subscription', status: 'active', customer: 'cus_1', metadata: { vendor_id: '7', tier_code: 'business' },
  cancel_at_period_end: false, canceled_at: null, ended_at: null, trial_end: null, default_payment_method: 'pm_1', default_source: null,
  items: { data: [{ id: 'si_1', price: { id: 'price_business_monthly', recurring: { interval: 'month' } }, current_period_start: unix('2026-03-01T00:00:00Z'), current_period_end: unix('2026-04-01T00:00:00Z') }] },
} as unknown as Stripe.Subscription;
const event = { id: 'evt_1', object: 'event', type: 'customer.subscription.updated', created: unix('2026-03-15T11:59:59Z'), data: { object: subscription } } as unknown as Stripe.Event;
const claim: Claim = { event, payload: JSON.stringify(event), createdAt: new Date(event.created * 1000), replay: false, now: clock.now() };

describe('StripeWebhookService statements', () => {
  it('match stripe-webhook.service.queries.sql', () => {
    const recorded = new SqlParams();
    expectQueriesFile(import.meta.url, [
      {
        method: 'StripeWebhookService.applyOnce',
        variant: "a plan's customer.subscription.*: SubscriptionWriter.applyStripeSubscriptionWith + the ledger's claim",
        statement: writer.applyWithStatement(toSubscriptionPatch(subscription, { now: clock.now() }), { kind: 'event', at: new Date(event.created * 1000) }, planEventStep(ledgerClaim(claim), subscription.id, {})),
      },
      {
        method: 'StripeWebhookService.record',
        variant: 'also the claim of inTransaction, with status processed',
        statement: { text: claimSql(recorded.add, claim, fixedOutcome(recorded.add, 'ignored', 'event type x is not handled')), params: recorded },
      },
    ]);
  });
});
