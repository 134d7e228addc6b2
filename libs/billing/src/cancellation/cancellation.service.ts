import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ConflictError } from '@app/common';
import { StripeService, type Stripe } from '@app/stripe';
import { hasScheduledCancellation, scheduledCancellationEnd, SubscriptionWriter, type VendorSubscription } from '@app/subscription';
import { DataSource } from 'typeorm';
import { SubscriptionNotCancelledError } from '../billing.errors.js';
import { BillingOperationsService, type OperationHandle } from '../operations/billing-operations.service.js';
import { BillingContext, hasLiveStripeSubscription } from '../shared/billing-context.service.js';
import { fromUnix, scheduledCancellation, subscriptionPeriod } from '../webhooks/stripe-mapping.js';
import { readStamp } from '../webhooks/subscription-patch.js';
import { SubscriptionSyncService } from '../webhooks/subscription-sync.service.js';
import { PriceScheduleRelease } from '../shared/price-schedule-release.js';

export interface CancellationView {
  message: string;
  effective_date: string;
}

/**
 * Cancel (at the period's end by default, or now) and reactivate, each an operation of the vendor's queue. With a
 * Stripe subscription, Stripe is asked and the row follows its answer (a failed local write after Stripe agreed is
 * logged, answered as done, and completed by the next sync); without one, the row changes here.
 */
@Injectable()
export class CancellationService {
  private readonly logger = new Logger(CancellationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly operations: BillingOperationsService,
    private readonly sync: SubscriptionSyncService,
    private readonly writer: SubscriptionWriter,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
    private readonly priceSchedules: PriceScheduleRelease,
  ) {}

  cancel(vendorId: number, input: { reason?: string; immediately?: boolean }): Promise<CancellationView> {
    const reason = input.reason?.trim() || null;
    const immediately = input.immediately === true;
    return this.operations.run({ vendorId, kind: 'cancel', params: { reason, immediately } }, async (op) => {
      const sub = await this.context.subscription(vendorId);
      if (sub.status === 'cancelled' || sub.status === 'expired') throw new ConflictError(`The subscription is already ${sub.status}.`, { status: sub.status });
      const now = this.clock.now();
      if (!hasLiveStripeSubscription(sub)) {
        await this.writer.cancelLocally(this.dataSource.manager, vendorId, { immediately, reason, now });
        this.logger.log({ vendor_id: vendorId, immediately, msg: 'Subscription cancelled (no Stripe subscription)' });
        return immediately ? cancelledNow(now) : endsOn(scheduledCancellationEnd(sub));
      }
      const id = sub.stripeSubscriptionId;
      const comment = reason ? { cancellation_details: { comment: reason } } : {};
      if (!immediately) await this.priceSchedules.releaseBefore(vendorId, id, op.idempotencyKey, 'the vendor cancelled');
      const updated = await this.stripe.call(immediately ? 'cancel the subscription' : 'schedule the cancellation', (stripe) =>
        immediately
          ? stripe.subscriptions.cancel(id, comment, { idempotencyKey: op.idempotencyKey })
          : stripe.subscriptions.update(id, { cancel_at_period_end: true, ...comment }, { idempotencyKey: op.idempotencyKey }),
      );
      const view = immediately
        ? cancelledNow(fromUnix(updated.ended_at) ?? fromUnix(updated.canceled_at) ?? now)
        : endsOn(fromUnix(updated.cancel_at) ?? subscriptionPeriod(updated)?.end ?? sub.periodEnd);
      await this.applyAnswer(op, vendorId, updated, now, view, reason);
      return view;
    });
  }

  /**
   * Undoes a scheduled cancellation (at the period's end or on another date) before it takes effect. Stripe is asked
   * the way the cancellation was set: `cancel_at_period_end: false`, or `cancel_at: ''` for one set with `cancel_at`
   * (which `cancel_at_period_end: false` does not clear); when the answer still has a `cancel_at` (one at the
   * period's end looks like the first kind here), the second request clears it.
   */
  reactivate(vendorId: number): Promise<{ message: string }> {
    return this.operations.run({ vendorId, kind: 'reactivate', params: {} }, async (op) => {
      const sub = await this.context.subscription(vendorId);
      const now = this.clock.now();
      if (!hasScheduledCancellation(sub) || sub.status === 'cancelled' || sub.status === 'expired' || scheduledCancellationEnd(sub) <= now) {
        throw new SubscriptionNotCancelledError();
      }
      if (!hasLiveStripeSubscription(sub)) {
        await this.writer.reactivateLocally(this.dataSource.manager, vendorId);
        return { message: reactivatedMessage(sub) };
      }
      const id = sub.stripeSubscriptionId;
      let updated = await this.stripe.call('reactivate the subscription', (stripe) =>
        stripe.subscriptions.update(id, sub.cancelAt ? { cancel_at: '' } : { cancel_at_period_end: false }, { idempotencyKey: op.idempotencyKey }),
      );
      if (!sub.cancelAt && updated.cancel_at !== null && updated.status !== 'canceled') {
        updated = await this.stripe.call('reactivate the subscription', (stripe) =>
          stripe.subscriptions.update(id, { cancel_at: '' }, { idempotencyKey: `${op.idempotencyKey}:cancel_at` }),
        );
      }
      const still = scheduledCancellation(updated);
      const view = still.atPeriodEnd || still.at ? { message: 'Stripe still has the subscription ending as scheduled.' } : { message: reactivatedMessage(sub) };
      await this.applyAnswer(op, vendorId, updated, now, view, null);
      return view;
    });
  }

  /** Stripe's answer onto the row (and the reason kept beside it) in one transaction; see the class comment. */
  private async applyAnswer(op: OperationHandle, vendorId: number, updated: Stripe.Subscription, askedAt: Date, view: unknown, reason: string | null): Promise<void> {
    await op.stripeAnswered(view, updated.id);
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.sync.applySubscription(manager, updated, readStamp(askedAt));
        const scheduled = scheduledCancellation(updated);
        await this.writer.setCancellationReason(manager, vendorId, scheduled.atPeriodEnd || scheduled.at || updated.status === 'canceled' ? reason : null);
        await op.complete(manager, view);
      });
      this.logger.log({ vendor_id: vendorId, cancel_at_period_end: updated.cancel_at_period_end, status: updated.status, msg: 'Cancellation state changed in Stripe' });
    } catch (error) {
      this.logger.error({ err: error, vendor_id: vendorId, msg: 'Stripe changed the cancellation but the local write failed; the next sync completes it' });
    }
  }
}

function cancelledNow(at: Date): CancellationView {
  return { message: 'Your subscription is cancelled as of now.', effective_date: at.toISOString() };
}

function endsOn(at: Date): CancellationView {
  return { message: `Your subscription will end on ${at.toISOString().slice(0, 10)}; until then everything keeps working.`, effective_date: at.toISOString() };
}

/** Without a payment method a trial still ends with the trial; say so instead of promising a renewal. */
function reactivatedMessage(sub: VendorSubscription): string {
  // A trial without a card is not renewed by anything: it still ends with the trial (then expires).
  if (sub.status === 'trial' && !sub.hasPaymentMethod && sub.trialEndsAt) {
    return `Your subscription is no longer cancelled; your trial runs until ${sub.trialEndsAt.toISOString().slice(0, 10)}. Choose a plan before then to keep your shop running.`;
  }
  return 'Your subscription is active again and will renew as usual.';
}
