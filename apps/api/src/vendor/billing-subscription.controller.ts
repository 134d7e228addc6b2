import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { VendorAuth } from '@app/platform';
import { SubscriptionService } from '@app/subscription';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';

/** The read side of `/api/v1/vendor/billing` (plan and usage, tiers); the Stripe routes live in BillingApiModule. */
@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class BillingSubscriptionController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Get('subscription')
  subscription(@CurrentVendor() me: VendorAuth) {
    return this.subscriptions.getSubscriptionView(me.vendorId);
  }

  @Get('tiers')
  tiers(@CurrentVendor() me: VendorAuth) {
    return this.subscriptions.listTiersFor(me.vendorId);
  }
}
