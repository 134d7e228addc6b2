import { Module } from '@nestjs/common';

/** Stripe webhook processing and the subscription sync shared with /sync and the worker (webhooks issue). */
@Module({})
export class WebhooksModule {}
