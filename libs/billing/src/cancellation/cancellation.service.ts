import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ConflictError } from '@app/common';
import { StripeService } from '@app/stripe';
import { scheduledCancellationEnd, type VendorSubscription } from '@app/subscription';
import { DataSource } from 'typeorm';
import { SubscriptionNotCancelledError } from '../billing.errors.js';
import { BillingContext, hasLiveStripeSubscription } from '../shared/billing-context.service.js';

export interface CancellationView {
  message: string;
  effective_date: string;
}

/**
 * Cancel (at the period's end by default, or now) and reactivate. Stripe is asked first; the local row follows only
 * when Stripe agreed. The idempotency keys name the row's version (`updated_at`), so a retried request is not sent
 * twice while a later cancel, after a reactivation, is a new request.
 */
@Injectable()
export class CancellationService {
  private readonly logger = new Logger(CancellationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
  ) {}

  async cancel(vendorId: number, input: { reason?: string; immediately?: boolean }): Promise<CancellationView> {
    const sub = await this.context.subscription(vendorId);
    if (sub.status === 'cancelled' || sub.status === 'expired') throw new ConflictError(`The subscription is already ${sub.status}.`, { status: sub.status });
    const reason = input.reason?.trim() || null;
    const now = this.clock.now();

    if (input.immediately) {
      if (hasLiveStripeSubscription(sub)) {
        const id = sub.stripeSubscriptionId;
        await this.stripe.call('cancel the subscription', (stripe) =>
          stripe.subscriptions.cancel(id, { ...(reason && { cancellation_details: { comment: reason } }) }, { idempotencyKey: `cancel-now:${id}` }),
        );
      }
      // The period ends now: access stops with the cancellation (period_end must stay after period_start).
      await this.dataSource.query(
        `UPDATE vendor_subscriptions SET status = 'cancelled', cancel_at_period_end = false, cancelled_at = $2, cancellation_reason = $3,
                period_end = GREATEST(period_start + interval '1 millisecond', LEAST(period_end, $2::timestamptz)), updated_at = $2
          WHERE vendor_id = $1`,
        [vendorId, now, reason],
      );
      this.logger.log({ vendor_id: vendorId, msg: 'Subscription cancelled now' });
      return { message: 'Your subscription is cancelled as of now.', effective_date: now.toISOString() };
    }

    const effective = effectiveEnd(sub);
    if (hasLiveStripeSubscription(sub)) {
      const id = sub.stripeSubscriptionId;
      await this.stripe.call('schedule the cancellation', (stripe) =>
        stripe.subscriptions.update(
          id,
          { cancel_at_period_end: true, ...(reason && { cancellation_details: { comment: reason } }) },
          { idempotencyKey: `cancel-at-period-end:${id}:${sub.updatedAt.getTime()}` },
        ),
      );
    }
    await this.dataSource.query(
      `UPDATE vendor_subscriptions SET cancel_at_period_end = true, cancelled_at = $2, cancellation_reason = $3, updated_at = $2 WHERE vendor_id = $1`,
      [vendorId, now, reason],
    );
    this.logger.log({ vendor_id: vendorId, effective_date: effective.toISOString(), msg: 'Subscription set to cancel at period end' });
    return { message: `Your subscription will end on ${effective.toISOString().slice(0, 10)}; until then everything keeps working.`, effective_date: effective.toISOString() };
  }

  /** Undoes a cancel at period end, while the period has not ended. */
  async reactivate(vendorId: number): Promise<{ message: string }> {
    const sub = await this.context.subscription(vendorId);
    const now = this.clock.now();
    if (!sub.cancelAtPeriodEnd || sub.status === 'cancelled' || sub.status === 'expired' || effectiveEnd(sub) <= now) {
      throw new SubscriptionNotCancelledError();
    }
    if (hasLiveStripeSubscription(sub)) {
      const id = sub.stripeSubscriptionId;
      await this.stripe.call('reactivate the subscription', (stripe) =>
        stripe.subscriptions.update(id, { cancel_at_period_end: false }, { idempotencyKey: `reactivate:${id}:${sub.updatedAt.getTime()}` }),
      );
    }
    await this.dataSource.query(
      `UPDATE vendor_subscriptions SET cancel_at_period_end = false, cancelled_at = NULL, cancellation_reason = NULL, updated_at = $2 WHERE vendor_id = $1`,
      [vendorId, now],
    );
    this.logger.log({ vendor_id: vendorId, msg: 'Subscription reactivated' });
    // A trial without a card is not renewed by anything: it still ends with the trial (then expires).
    if (sub.status === 'trial' && !sub.hasPaymentMethod && sub.trialEndsAt) {
      return { message: `Your subscription is no longer cancelled; your trial runs until ${sub.trialEndsAt.toISOString().slice(0, 10)}. Choose a plan before then to keep your shop running.` };
    }
    return { message: 'Your subscription is active again and will renew as usual.' };
  }
}

/** When a cancel at period end takes effect (the subscription view's `ends_at` says the same). */
function effectiveEnd(sub: VendorSubscription): Date {
  return scheduledCancellationEnd(sub);
}
