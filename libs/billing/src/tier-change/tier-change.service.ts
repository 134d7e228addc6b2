import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ValidationFailedError } from '@app/common';
import { StripeService } from '@app/stripe';
import { DowngradeExceedsLimitsError, SubscriptionService, type TierInfo } from '@app/subscription';
import { DataSource } from 'typeorm';
import { StripePriceNotConfiguredError } from '../billing.errors.js';
import { BillingContext, hasLiveStripeSubscription, intervalOf } from '../shared/billing-context.service.js';
import { toUnixSeconds } from '../shared/billing-urls.js';
import { TierChangePlanner } from './tier-change-planner.js';

export interface TierChangeView {
  message: string;
  new_tier: string;
  is_annual: boolean;
  effective_immediately: boolean;
}

/** A preview's proration date stays usable this long; an older one should be previewed again. */
const PRORATION_DATE_MAX_AGE_S = 24 * 3600;
/** Clock skew allowed for a proration date from the client. */
const PRORATION_DATE_MAX_AHEAD_S = 300;

export const tierChangeIdempotencyKey = (subscriptionId: string, priceId: string, prorationDate: number): string =>
  `tier-change:${subscriptionId}:${priceId}:${prorationDate}`;

@Injectable()
export class TierChangeService {
  private readonly logger = new Logger(TierChangeService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly subscriptions: SubscriptionService,
    private readonly planner: TierChangePlanner,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
  ) {}

  /**
   * With a Stripe subscription: its item moves to the new price, prorated at `prorationDate` (the preview's, so the
   * charge equals what was shown), then the local row follows. Without one (trial): the local tier changes at once.
   * A tier whose limits are below current usage is refused before anything is asked of Stripe.
   */
  async changeTier(vendorId: number, change: { tierCode: string; isAnnual?: boolean; prorationDate?: number }): Promise<TierChangeView> {
    const sub = await this.context.subscription(vendorId);
    const tier = await this.context.activeTier(change.tierCode);
    const input = { ...change, isAnnual: change.isAnnual ?? sub.isAnnual };
    if (tier.code === sub.tierCode && input.isAnnual === sub.isAnnual) {
      return { message: `Already on the ${tier.name} plan.`, new_tier: tier.code, is_annual: sub.isAnnual, effective_immediately: true };
    }
    const violations = await this.subscriptions.findLimitViolations(vendorId, tier.code);
    if (violations.length > 0) throw new DowngradeExceedsLimitsError(tier.code, violations);

    if (!hasLiveStripeSubscription(sub)) return this.changeLocalTier(vendorId, tier, input.isAnnual);

    this.stripe.assertConfigured();
    const plan = await this.planner.plan(sub, tier.code, input.isAnnual);
    const prorationDate = this.prorationDate(input.prorationDate);
    const subscriptionId = sub.stripeSubscriptionId;
    const item = await this.planner.subscriptionItem(subscriptionId);
    await this.stripe.call('change the plan', (stripe) =>
      stripe.subscriptions.update(
        subscriptionId,
        {
          items: [{ id: item.id, price: plan.priceId }],
          proration_behavior: plan.prorationBehavior,
          proration_date: prorationDate,
          metadata: { vendor_id: String(vendorId), tier_code: tier.code, is_annual: String(input.isAnnual) },
        },
        { idempotencyKey: tierChangeIdempotencyKey(subscriptionId, plan.priceId, prorationDate) },
      ),
    );
    await this.dataSource.query(
      `UPDATE vendor_subscriptions SET tier_code = $2, is_annual = $3, stripe_price_id = $4, updated_at = $5 WHERE vendor_id = $1`,
      [vendorId, tier.code, input.isAnnual, plan.priceId, this.clock.now()],
    );
    this.logger.log({ vendor_id: vendorId, tier_code: tier.code, is_annual: input.isAnnual, proration_date: prorationDate, proration_behavior: plan.prorationBehavior, msg: 'Tier changed in Stripe' });
    return {
      message: `Changed to the ${tier.name} plan (${plan.isUpgrade ? 'the prorated difference is invoiced now' : 'the unused time is credited on the next invoice'}).`,
      new_tier: tier.code,
      is_annual: input.isAnnual,
      effective_immediately: true,
    };
  }

  /** No Stripe subscription (trial, or run by hand): the tier changes here, re-checked under the row lock. */
  private async changeLocalTier(vendorId: number, tier: TierInfo, isAnnual: boolean): Promise<TierChangeView> {
    const cents = isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents;
    if (cents === null) throw new StripePriceNotConfiguredError(`The tier "${tier.code}" (custom pricing)`, intervalOf(isAnnual));
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE`, [vendorId]);
      const violations = await this.subscriptions.findLimitViolations(vendorId, tier.code, manager);
      if (violations.length > 0) throw new DowngradeExceedsLimitsError(tier.code, violations);
      await manager.query(`UPDATE vendor_subscriptions SET tier_code = $2, is_annual = $3, updated_at = $4 WHERE vendor_id = $1`, [vendorId, tier.code, isAnnual, this.clock.now()]);
    });
    this.logger.log({ vendor_id: vendorId, tier_code: tier.code, is_annual: isAnnual, msg: 'Tier changed locally (no Stripe subscription)' });
    return { message: `Changed to the ${tier.name} plan.`, new_tier: tier.code, is_annual: isAnnual, effective_immediately: true };
  }

  private prorationDate(given: number | undefined): number {
    const now = toUnixSeconds(this.clock.now());
    if (given === undefined) return now;
    if (given > now + PRORATION_DATE_MAX_AHEAD_S || given < now - PRORATION_DATE_MAX_AGE_S) {
      throw ValidationFailedError.forField('proration_date', 'proration_date must come from a preview of the last 24 hours; preview the change again.');
    }
    return given;
  }
}
