import { Injectable, Logger } from '@nestjs/common';
import { PaymentProviderError, StripeService } from '@app/stripe';
import { PriceMigrationService } from '@app/subscription';

/**
 * Before a vendor's own change of its plan (a cancellation at the period's end, a tier change): the schedule a price
 * migration put on its subscription is released (CONTRACT §11). Stripe refuses to change the cancellation of a
 * subscription a schedule manages, and the schedule's next phase would put the old tier's new price back over a tier
 * change at the renewal. Released, the subscription stays as it is; the migration's item is given up with the reason
 * (the admin sees it, the vendor no longer sees the change). Called inside the vendor's operation, holding nothing,
 * with a key derived from the operation's.
 */
@Injectable()
export class PriceScheduleRelease {
  private readonly logger = new Logger('PriceMigrations');

  constructor(
    private readonly migrations: PriceMigrationService,
    private readonly stripe: StripeService,
  ) {}

  async releaseBefore(vendorId: number, subscriptionId: string, idempotencyKey: string, why: string): Promise<void> {
    for (const scheduleId of await this.migrations.pendingSchedulesOf(vendorId, subscriptionId)) {
      try {
        await this.stripe.call('release the price schedule', (stripe) => stripe.subscriptionSchedules.release(scheduleId, {}, { idempotencyKey: `${idempotencyKey}:release:${scheduleId}` }));
      } catch (error) {
        // Released or ended already (an earlier attempt of this operation, the dashboard): what this asked for.
        if (!(error instanceof PaymentProviderError) || error.details?.status !== 400) throw error;
        const schedule = await this.stripe.call('read the price schedule', (stripe) => stripe.subscriptionSchedules.retrieve(scheduleId));
        if (schedule.status === 'active' || schedule.status === 'not_started') throw error;
      }
      await this.migrations.recordReleased(vendorId, scheduleId, why);
      this.logger.log({ vendor_id: vendorId, stripe_schedule_id: scheduleId, msg: `price schedule released: ${why}` });
    }
  }
}
