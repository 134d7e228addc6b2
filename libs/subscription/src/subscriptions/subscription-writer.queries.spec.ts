// Renders the statements SubscriptionWriter composes into subscription-writer.queries.sql (DESIGN.md "Statements a
// reviewer can read") and fails when they drift from it. Regenerate: `npm run sql:render`.
import { Clock } from '@app/common';
import { SqlParams } from '@app/database';
import { expectQueriesFile, fixedStatement } from '../../../../test/support/queries-file.js';
import type { StripeSubscriptionPatch } from './stripe-plan-patch.js';
import { CHANGE_LOCAL_TIER, SubscriptionWriter } from './subscription-writer.js';

const clock = new Clock();
clock.set(new Date('2026-03-15T12:00:00Z'));
const writer = new SubscriptionWriter(clock);

const patch: StripeSubscriptionPatch = {
  subscriptionId: 'sub_1', customerId: 'cus_1', vendorId: 7, priceId: 'price_business_monthly', priceAmountCents: 19900, priceIds: ['price_business_monthly'], tierCode: 'business', isAnnual: false,
  status: 'active', ended: false, trialEndsAt: null, period: { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-01T00:00:00Z') },
  cancelAtPeriodEnd: false, cancelAt: null, cancelledAt: null, endedAt: null, hasPaymentMethod: true,
};
const stamp = { kind: 'event' as const, at: new Date('2026-03-15T11:59:59Z') };

describe('SubscriptionWriter statements', () => {
  it('match subscription-writer.queries.sql', () => {
    const vendorOf = new SqlParams();
    expectQueriesFile(import.meta.url, [
      { method: 'SubscriptionWriter.applyStripeSubscription', variant: 'any stamp: an event\'s or a read\'s', statement: writer.applyStatement(patch, stamp) },
      { method: 'SubscriptionWriter.diffStripeSubscriptions', variant: 'any page of patches: one array parameter per value', statement: writer.diffStatement([{ patch, stamp }, { patch: { ...patch, subscriptionId: 'sub_2' }, stamp }]) },
      { method: 'SubscriptionWriter.changeLocalTier', statement: fixedStatement(CHANGE_LOCAL_TIER, ['vendor_id', 'tier_code', 'is_annual', 'DEFAULT_LIMITS_JSON']) },
      { method: 'SubscriptionWriter.findVendorOf', statement: { text: writer.vendorOfSql(vendorOf.add, { subscriptionId: 'sub_1', customerId: 'cus_1', vendorId: 7 }), params: vendorOf } },
    ]);
  });
});
