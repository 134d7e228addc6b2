import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule } from '@app/platform';
import { StripeModule } from '@app/stripe';
import { SubscriptionModule } from '@app/subscription';
import { AddOnProduct } from './add-ons/add-on-product.entity.js';
import { VendorAddOn } from './add-ons/vendor-add-on.entity.js';
import { BillingHistory } from './invoices/billing-history.entity.js';
import { StripeWebhookEvent } from './webhooks/stripe-webhook-event.entity.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([AddOnProduct, VendorAddOn, BillingHistory, StripeWebhookEvent]),
    PlatformModule,
    SubscriptionModule,
    StripeModule,
    WebhooksModule,
  ],
  exports: [TypeOrmModule, WebhooksModule],
})
export class BillingModule {}
