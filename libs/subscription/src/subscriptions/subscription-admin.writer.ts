import { Injectable } from '@nestjs/common';
import { Clock, ConflictError, NotFoundError } from '@app/common';
import type { EntityManager } from 'typeorm';
import { DowngradeExceedsLimitsError } from '../subscription.errors.js';
import { TierService } from '../tiers/tier.service.js';
import { addDays, periodEndFrom } from './subscription-period.js';
import { tierViolations } from '../limits/usage-fits-tier.js';
import { VendorSubscription } from './vendor-subscription.entity.js';

/** The fields an admin change is audited by. */
export interface SubscriptionAuditState {
  tier_code: string;
  status: string;
  trial_ends_at: string | null;
  period_start: string;
  period_end: string;
  stripe_subscription_id: string | null;
}

export interface SubscriptionAdminChange {
  before: SubscriptionAuditState;
  after: SubscriptionAuditState;
}

const LIVE_STATUSES = new Set(['trial', 'active', 'past_due']);

export function subscriptionAuditState(s: VendorSubscription): SubscriptionAuditState {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    tier_code: s.tierCode, status: s.status, trial_ends_at: iso(s.trialEndsAt), period_start: iso(s.periodStart)!, period_end: iso(s.periodEnd)!,
    stripe_subscription_id: s.stripeSubscriptionId,
  };
}

/** Whether Stripe bills this vendor now: a Stripe subscription on a live local status. */
export function isBilledByStripe(s: Pick<VendorSubscription, 'stripeSubscriptionId' | 'status'>): boolean {
  return s.stripeSubscriptionId !== null && LIVE_STATUSES.has(s.status);
}

/**
 * The admin's writes to `vendor_subscriptions` (this lib owns the table): a longer trial, a tier given by hand.
 * Each takes the caller's transaction (the admin service records its audit row in it) and locks the row, so it
 * serialises with limit claims and webhooks on the same vendor. Neither calls Stripe: they refuse a vendor whom
 * Stripe bills, whose state must come from Stripe.
 */
@Injectable()
export class SubscriptionAdminWriter {
  constructor(
    private readonly clock: Clock,
    private readonly tiers: TierService,
  ) {}

  /**
   * Moves the trial's end `days` later (from now when it has already passed and the daily job has not expired it
   * yet). CONFLICT unless the subscription is a trial kept here; a trial on a Stripe subscription ends when
   * Stripe says, so it is extended in Stripe.
   */
  async extendTrial(manager: EntityManager, vendorId: number, days: number): Promise<SubscriptionAdminChange> {
    const sub = await this.lockSubscription(manager, vendorId);
    const before = subscriptionAuditState(sub);
    if (sub.status !== 'trial') {
      throw new ConflictError(`Only a trial can be extended; this subscription is ${sub.status.replace('_', ' ')}.`, { status: sub.status });
    }
    if (sub.stripeSubscriptionId !== null) {
      throw new ConflictError('This trial runs on a Stripe subscription; extend it in Stripe so both agree.', { status: sub.status });
    }
    const now = this.clock.now();
    const from = sub.trialEndsAt && sub.trialEndsAt > now ? sub.trialEndsAt : now;
    const trialEndsAt = addDays(from, days);
    await manager.query(`UPDATE vendor_subscriptions SET trial_ends_at = $2, updated_at = $3 WHERE vendor_id = $1`, [vendorId, trialEndsAt, now]);
    return { before, after: { ...before, trial_ends_at: trialEndsAt.toISOString() } };
  }

  /**
   * Puts the vendor on a tier by hand (an Enterprise deal invoiced outside Stripe): status active, no trial,
   * no pending cancellation. CONFLICT when Stripe bills the vendor (its plan changes through billing), TIER_NOT_FOUND
   * for an unknown or inactive tier, DOWNGRADE_EXCEEDS_LIMITS when usage is above the tier's limits. A period that
   * has ended starts again now with the order counter at zero; a running one is kept.
   */
  async assignTier(manager: EntityManager, vendorId: number, tierCode: string): Promise<SubscriptionAdminChange> {
    const tier = await this.tiers.getActiveTier(tierCode, manager);
    const sub = await this.lockSubscription(manager, vendorId);
    const before = subscriptionAuditState(sub);
    if (isBilledByStripe(sub)) {
      throw new ConflictError('This vendor pays through a Stripe subscription; its plan changes through billing (or cancel it first).', {
        status: sub.status,
      });
    }
    const violations = await tierViolations(manager, vendorId, tier.code);
    if (violations.length > 0) throw new DowngradeExceedsLimitsError(tier.code, violations);

    const now = this.clock.now();
    const renew = sub.periodEnd <= now;
    const periodStart = renew ? now : sub.periodStart;
    const periodEnd = renew ? periodEndFrom(now, false) : sub.periodEnd;
    // The Stripe subscription, if any, has ended: forget it, so reconciliation does not read it back over this.
    await manager.query(
      `UPDATE vendor_subscriptions
          SET tier_code = $2, status = 'active', is_annual = false, cancel_at_period_end = false, cancelled_at = NULL,
              cancellation_reason = NULL, past_due_since = NULL, payment_retry_count = 0, stripe_subscription_id = NULL,
              stripe_price_id = NULL, period_start = $3, period_end = $4,
              orders_this_period = CASE WHEN $5 THEN 0 ELSE orders_this_period END, updated_at = $6
        WHERE vendor_id = $1`,
      [vendorId, tier.code, periodStart, periodEnd, renew, now],
    );
    const after = await this.lockSubscription(manager, vendorId);
    return { before, after: subscriptionAuditState(after) };
  }

  private async lockSubscription(manager: EntityManager, vendorId: number): Promise<VendorSubscription> {
    const sub = await manager.getRepository(VendorSubscription).findOne({ where: { vendorId }, lock: { mode: 'pessimistic_write' } });
    if (!sub) throw new NotFoundError('Subscription');
    return sub;
  }
}
