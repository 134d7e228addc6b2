import { Module } from '@nestjs/common';
import { JobsModule } from '@app/database';
import { JobsController } from './jobs.controller.js';
import { AdminPlatformEventsModule } from './platform-events/admin-platform-events.module.js';
import { AdminPriceMigrationsModule } from './price-migrations/admin-price-migrations.module.js';
import { AdminPlatformHealthModule } from './platform-health/admin-platform-health.module.js';
import { AdminRevenueModule } from './revenue/admin-revenue.module.js';
import { AdminTiersModule } from './tiers/admin-tiers.module.js';
import { AdminVendorsModule } from './vendors/admin-vendors.module.js';
import { AdminWebhookEventsModule } from './webhook-events/admin-webhook-events.module.js';

@Module({
  imports: [JobsModule, AdminTiersModule, AdminWebhookEventsModule, AdminPlatformHealthModule, AdminVendorsModule, AdminPlatformEventsModule, AdminRevenueModule, AdminPriceMigrationsModule],
  controllers: [JobsController],
})
export class AdminApiModule {}
