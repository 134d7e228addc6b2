import { Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { SubscriptionModule } from '@app/subscription';
import { AnalyticsController } from './analytics.controller.js';
import { BillingSubscriptionController } from './billing-subscription.controller.js';
import { OrdersController } from './orders.controller.js';
import { ProductsController } from './products.controller.js';
import { FeatureGuard } from './require-feature.decorator.js';
import { TeamController } from './team.controller.js';

@Module({
  imports: [PlatformModule, SubscriptionModule],
  controllers: [ProductsController, OrdersController, TeamController, AnalyticsController, BillingSubscriptionController],
  providers: [FeatureGuard],
})
export class VendorApiModule {}
