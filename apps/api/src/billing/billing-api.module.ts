import { Module } from '@nestjs/common';
import { BillingModule } from '@app/billing';
import { AddOnsController } from './add-ons.controller.js';
import { BillingController } from './billing.controller.js';

@Module({
  imports: [BillingModule],
  controllers: [BillingController, AddOnsController],
})
export class BillingApiModule {}
