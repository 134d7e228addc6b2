import { Module } from '@nestjs/common';
import { SubscriptionModule } from '@app/subscription';
import { PriceMigrationsController } from './price-migrations.controller.js';

@Module({
  imports: [SubscriptionModule],
  controllers: [PriceMigrationsController],
})
export class AdminPriceMigrationsModule {}
