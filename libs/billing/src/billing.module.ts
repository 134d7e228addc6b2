import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule } from '@app/platform';
import { StripeModule } from '@app/stripe';
import { SubscriptionModule } from '@app/subscription';
import { AddOnProduct } from './add-ons/add-on-product.entity.js';
import { AddOnService } from './add-ons/add-on.service.js';
import { AddOnsModule } from './add-ons/add-ons.module.js';
import { VendorAddOn } from './add-ons/vendor-add-on.entity.js';
import { CancellationService } from './cancellation/cancellation.service.js';
import { CatalogSyncService } from './catalog/catalog-sync.service.js';
import { TierPriceService } from './catalog/tier-price.service.js';
import { CheckoutService } from './checkout/checkout.service.js';
import { StripeCustomerService } from './customers/stripe-customer.service.js';
import { BillingHistory } from './invoices/billing-history.entity.js';
import { InvoiceService } from './invoices/invoice.service.js';
import { BillingOperationsService } from './operations/billing-operations.service.js';
import { BillingTurn } from './operations/billing-turn.js';
import { PortalService } from './portal/portal.service.js';
import { StripeStatusSyncService } from './reconciliation/stripe-status-sync.service.js';
import { BillingContext } from './shared/billing-context.service.js';
import { BillingUrls } from './shared/billing-urls.js';
import { PriceScheduleRelease } from './shared/price-schedule-release.js';
import { BillingSyncService } from './sync/billing-sync.service.js';
import { TierChangePlanner } from './tier-change/tier-change-planner.js';
import { TierChangeService } from './tier-change/tier-change.service.js';
import { StripeWebhookEvent } from './webhooks/stripe-webhook-event.entity.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

const services = [
  StripeStatusSyncService,
  StripeCustomerService,
  CheckoutService,
  PortalService,
  InvoiceService,
  TierChangeService,
  CancellationService,
  AddOnService,
  CatalogSyncService,
  TierPriceService,
  BillingSyncService,
  BillingOperationsService,
];

@Module({
  imports: [
    TypeOrmModule.forFeature([AddOnProduct, VendorAddOn, BillingHistory, StripeWebhookEvent]),
    PlatformModule,
    SubscriptionModule,
    StripeModule,
    WebhooksModule,
    AddOnsModule,
  ],
  providers: [BillingContext, BillingUrls, TierChangePlanner, BillingTurn, PriceScheduleRelease, ...services],
  exports: [TypeOrmModule, WebhooksModule, AddOnsModule, ...services],
})
export class BillingModule {}
