import { Module } from '@nestjs/common';

/** The one place that imports `stripe` (filled in by the billing issue). */
@Module({})
export class StripeModule {}
