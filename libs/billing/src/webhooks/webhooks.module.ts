import { Module } from '@nestjs/common';
import { StripeModule } from '@app/stripe';
import { SubscriptionSyncService } from './subscription-sync.service.js';

/** Stripe webhook processing and the subscription sync shared with /sync and the worker (webhooks issue). */
@Module({
  imports: [StripeModule],
  providers: [SubscriptionSyncService],
  exports: [SubscriptionSyncService],
})
export class WebhooksModule {}
