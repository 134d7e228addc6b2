import { Module } from '@nestjs/common';
import { SubscriptionModule } from '@app/subscription';
import { AdminTiersController } from './admin-tiers.controller.js';

@Module({
  imports: [SubscriptionModule],
  controllers: [AdminTiersController],
})
export class AdminTiersModule {}
