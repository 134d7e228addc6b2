import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ValidationFailedError } from '@app/common';
import { StripeService, type Stripe } from '@app/stripe';
import { DEFAULT_LIMITS_JSON, DowngradeExceedsLimitsError, LimitService, SubscriptionService, SubscriptionWriter, type TierInfo, type VendorSubscription } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';
import { StripePriceNotConfiguredError } from '../billing.errors.js';
import { BillingContext, hasLiveStripeSubscription, intervalOf } from '../shared/billing-context.service.js';
import { toUnixSeconds } from '../shared/billing-urls.js';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { idOf } from '../webhooks/stripe-mapping.js';
import { readStamp } from '../webhooks/subscription-patch.js';
import { SubscriptionSyncService } from '../webhooks/subscription-sync.service.js';
import { TierChangePlanner } from './tier-change-planner.js';
import { PriceScheduleRelease } from '../shared/price-schedule-release.js';

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

/** How long a tier change may hold the vendor to the lower of both tiers' limits, should its process die mid-way. */
const PENDING_TIER_MS = 120_000;

@Injectable()
export class TierChangeService {
  private readonly logger = new Logger(TierChangeService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly subscriptions: SubscriptionService,
    private readonly writer: SubscriptionWriter,
    private readonly limits: LimitService,
    private readonly planner: TierChangePlanner,
    private readonly operations: BillingOperationsService,
    private readonly sync: SubscriptionSyncService,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
    private readonly priceSchedules: PriceScheduleRelease,
  ) {}

  /**
   * One operation of the vendor's queue. With a Stripe subscription: the vendor is held to the lower of both tiers'
   * limits (refused when its usage is above the target's already), its item moves to the new price prorated at
   * `prorationDate` (the preview's, so the charge equals what was shown), and the row follows what Stripe answered.
   * Without one (trial): the local tier changes at once, in one statement that checks the usage.
   */
  changeTier(vendorId: number, change: { tierCode: string; isAnnual?: boolean; prorationDate?: number }): Promise<TierChangeView> {
    const params = { tier_code: change.tierCode, is_annual: change.isAnnual ?? null, proration_date: change.prorationDate ?? null };
    return this.operations.run({ vendorId, kind: 'change_tier', params }, async (op) => {
      const sub = await this.context.subscription(vendorId);
      const tier = await this.context.activeTier(change.tierCode);
      const isAnnual = change.isAnnual ?? sub.isAnnual;
      // The same plan again is a change only where the subscription lacks the tier's current metered price (one from
      // before the tier priced overage, or before that price changed): the change adds it (CONTRACT §12).
      const sameTier = tier.code === sub.tierCode && isAnnual === sub.isAnnual && !sub.pendingTierCode;
      if (sameTier && !lacksMeteredPrice(sub, tier)) {
        return { message: `Already on the ${tier.name} plan.`, new_tier: tier.code, is_annual: sub.isAnnual, effective_immediately: true };
      }
      if (!hasLiveStripeSubscription(sub)) return this.changeLocalTier(vendorId, tier, isAnnual);

      this.stripe.assertConfigured();
      const plan = await this.planner.plan(sub, tier.code, isAnnual);
      const prorationDate = this.prorationDate(change.prorationDate);
      if (!(await this.limits.reservePendingTier(vendorId, tier.code, new Date(this.clock.now().getTime() + PENDING_TIER_MS)))) {
        throw new DowngradeExceedsLimitsError(tier.code, await this.subscriptions.findLimitViolations(vendorId, tier.code));
      }
      const subscriptionId = sub.stripeSubscriptionId;
      let updated: Stripe.Subscription;
      const askedAt = this.clock.now();
      try {
        await this.priceSchedules.releaseBefore(vendorId, subscriptionId, op.idempotencyKey, `the vendor changed to ${tier.code}`);
        // Read after the pending tier is reserved: from then on no overage order is taken at a price this change removes.
        const change = await this.planner.itemsChange(vendorId, subscriptionId, sub.stripePriceId, plan);
        updated = await this.stripe.call('change the plan', (stripe) =>
          stripe.subscriptions.update(
            subscriptionId,
            {
              items: change.items,
              ...(change.usage.length > 0 && { add_invoice_items: change.usage }),
              proration_behavior: plan.prorationBehavior,
              proration_date: prorationDate,
              metadata: { vendor_id: String(vendorId), tier_code: tier.code, is_annual: String(isAnnual) },
            },
            { idempotencyKey: op.idempotencyKey },
          ),
        );
      } catch (error) {
        await this.limits.clearPendingTier(vendorId, tier.code);
        throw error;
      }
      // What Stripe answered, not what was asked: the price its item holds now.
      const moved = (updated.items?.data ?? []).some((i) => idOf(i.price) === plan.priceId);
      const view: TierChangeView = moved
        ? {
            message: sameTier
              ? `Orders past the ${tier.name} plan's limit are billed as overage from now on.`
              : `Changed to the ${tier.name} plan (${plan.isUpgrade ? 'the prorated difference is invoiced now' : 'the unused time is credited on the next invoice'}).`,
            new_tier: tier.code, is_annual: isAnnual, effective_immediately: true,
          }
        : { message: `Stripe kept the ${sub.tierCode} plan.`, new_tier: sub.tierCode, is_annual: sub.isAnnual, effective_immediately: false };
      await op.stripeAnswered(view, updated.id);
      await this.applyAnswer(vendorId, tier.code, updated, askedAt, (manager) => op.complete(manager, view));
      this.logger.log({ vendor_id: vendorId, tier_code: view.new_tier, is_annual: view.is_annual, proration_date: prorationDate, proration_behavior: plan.prorationBehavior, msg: 'Tier changed in Stripe' });
      return view;
    });
  }

  /**
   * Stripe's answer onto the row, with the pending tier cleared, in one transaction. A failure here is logged, not
   * answered: Stripe made the change, so the vendor is told it did; the next /sync or reconciliation completes it.
   */
  private async applyAnswer(vendorId: number, tierCode: string, updated: Stripe.Subscription, askedAt: Date, complete: (manager: EntityManager) => Promise<void>): Promise<void> {
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.sync.applySubscription(manager, updated, readStamp(askedAt));
        await this.limits.clearPendingTier(vendorId, tierCode, manager);
        await complete(manager);
      });
    } catch (error) {
      this.logger.error({ err: error, vendor_id: vendorId, msg: 'Stripe changed the plan but the local write failed; the next sync completes it' });
    }
  }

  /** No Stripe subscription (trial, or run by hand): the tier changes here, in one statement that checks the usage. */
  private async changeLocalTier(vendorId: number, tier: TierInfo, isAnnual: boolean): Promise<TierChangeView> {
    const cents = isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents;
    if (cents === null) throw new StripePriceNotConfiguredError(`The tier "${tier.code}" (custom pricing)`, intervalOf(isAnnual));
    if (!(await this.writer.changeLocalTier(this.dataSource.manager, vendorId, tier.code, isAnnual, DEFAULT_LIMITS_JSON))) {
      throw new DowngradeExceedsLimitsError(tier.code, await this.subscriptions.findLimitViolations(vendorId, tier.code));
    }
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

/** A live monthly Stripe subscription on a tier that prices overage, without the tier's current metered price. */
function lacksMeteredPrice(sub: VendorSubscription, tier: TierInfo): boolean {
  return hasLiveStripeSubscription(sub) && !sub.isAnnual && tier.stripeOveragePriceId !== null && !(sub.stripeItemPriceIds ?? []).includes(tier.stripeOveragePriceId);
}
