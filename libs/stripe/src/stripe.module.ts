import { Module } from '@nestjs/common';
import { StripeService } from './stripe.service.js';

/** The one place that imports `stripe`. */
@Module({ providers: [StripeService], exports: [StripeService] })
export class StripeModule {}
