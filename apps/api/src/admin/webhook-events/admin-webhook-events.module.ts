import { Module } from '@nestjs/common';
import { BillingModule } from '@app/billing';
import { WebhookEventsController } from './webhook-events.controller.js';

@Module({
  imports: [BillingModule],
  controllers: [WebhookEventsController],
})
export class AdminWebhookEventsModule {}
