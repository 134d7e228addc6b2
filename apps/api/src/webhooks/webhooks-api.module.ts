import { Module } from '@nestjs/common';
import { BillingModule } from '@app/billing';
import { StripeWebhookController } from './stripe-webhook.controller.js';

@Module({
  imports: [BillingModule],
  controllers: [StripeWebhookController],
})
export class WebhooksApiModule {}
