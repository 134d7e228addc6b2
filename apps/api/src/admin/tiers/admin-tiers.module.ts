import { Module } from '@nestjs/common';
import { BillingModule } from '@app/billing';
import { SubscriptionModule } from '@app/subscription';
import { AdminTiersController } from './admin-tiers.controller.js';

@Module({
  imports: [SubscriptionModule, BillingModule],
  controllers: [AdminTiersController],
})
export class AdminTiersModule {}
