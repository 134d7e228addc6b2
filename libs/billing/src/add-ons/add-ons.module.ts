import { Module } from '@nestjs/common';
import { PlatformEventsModule } from '@app/platform-events';
import { SubscriptionModule } from '@app/subscription';
import { AddOnGrantService } from './add-on-grant.service.js';
import { VendorAddOnRepository } from './vendor-add-on.repository.js';

/**
 * The writer of `vendor_add_ons` and the grant of a paid add-on, in a module of their own so that the webhooks
 * (which BillingModule imports) can call them without importing BillingModule back.
 */
@Module({
  imports: [PlatformEventsModule, SubscriptionModule],
  providers: [VendorAddOnRepository, AddOnGrantService],
  exports: [VendorAddOnRepository, AddOnGrantService],
})
export class AddOnsModule {}
