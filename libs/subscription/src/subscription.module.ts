import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionTier } from './tiers/subscription-tier.entity.js';
import { SubscriptionService } from './subscriptions/subscription.service.js';
import { VendorSubscription } from './subscriptions/vendor-subscription.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([SubscriptionTier, VendorSubscription])],
  providers: [SubscriptionService],
  exports: [SubscriptionService, TypeOrmModule],
})
export class SubscriptionModule {}
