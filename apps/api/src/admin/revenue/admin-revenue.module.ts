import { Module } from '@nestjs/common';
import { SubscriptionModule } from '@app/subscription';
import { RevenueController } from './revenue.controller.js';

@Module({
  imports: [SubscriptionModule],
  controllers: [RevenueController],
})
export class AdminRevenueModule {}
