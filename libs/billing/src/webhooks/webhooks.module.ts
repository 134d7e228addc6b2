import { Module } from '@nestjs/common';
import { PlatformEventsModule } from '@app/platform-events';
import { StripeModule } from '@app/stripe';
import { SubscriptionModule } from '@app/subscription';
import { AddOnsModule } from '../add-ons/add-ons.module.js';
import { InvoiceEventHandlers } from './invoice-event.handlers.js';
import { StripeWebhookService } from './stripe-webhook.service.js';
import { SubscriptionEventHandlers } from './subscription-event.handlers.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import { WebhookEventAdminService } from './webhook-event-admin.service.js';

/** Stripe webhook processing and the subscription sync shared with /sync and the worker (webhooks issue). */
@Module({
  imports: [StripeModule, SubscriptionModule, AddOnsModule, PlatformEventsModule],
  providers: [SubscriptionSyncService, SubscriptionEventHandlers, InvoiceEventHandlers, StripeWebhookService, WebhookEventAdminService],
  exports: [SubscriptionSyncService, StripeWebhookService, WebhookEventAdminService],
})
export class WebhooksModule {}
