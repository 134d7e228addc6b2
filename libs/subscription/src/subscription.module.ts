import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StripeModule } from '@app/stripe';
import { MeterEventSenderService } from './overage/meter-event-sender.service.js';
import { PriceMigrationRunner } from './price-migrations/price-migration-runner.service.js';
import { PriceMigrationService } from './price-migrations/price-migration.service.js';
import { LimitService } from './limits/limit.service.js';
import { RevenueService } from './revenue/revenue.service.js';
import { SubscriptionLifecycleService } from './lifecycle/subscription-lifecycle.service.js';
import { SubscriptionTier } from './tiers/subscription-tier.entity.js';
import { TierService } from './tiers/tier.service.js';
import { SubscriptionAdminWriter } from './subscriptions/subscription-admin.writer.js';
import { SubscriptionService } from './subscriptions/subscription.service.js';
import { SubscriptionWriter } from './subscriptions/subscription-writer.js';
import { VendorSubscription } from './subscriptions/vendor-subscription.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([SubscriptionTier, VendorSubscription]), StripeModule],
  providers: [SubscriptionService, SubscriptionWriter, SubscriptionAdminWriter, TierService, LimitService, SubscriptionLifecycleService, RevenueService, MeterEventSenderService, PriceMigrationService, PriceMigrationRunner],
  exports: [SubscriptionService, SubscriptionWriter, SubscriptionAdminWriter, TierService, LimitService, SubscriptionLifecycleService, RevenueService, MeterEventSenderService, PriceMigrationService, PriceMigrationRunner, TypeOrmModule],
})
export class SubscriptionModule {}
