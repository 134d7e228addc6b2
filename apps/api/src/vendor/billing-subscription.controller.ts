import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { VendorAuth } from '@app/platform';
import { SubscriptionService } from '@app/subscription';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { SubscriptionDto, TierDto } from '../billing/billing-responses.dto.js';

/** The read side of `/api/v1/vendor/billing` (plan and usage, tiers); the Stripe routes live in BillingApiModule. */
@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class BillingSubscriptionController {
  constructor(
    private readonly subscriptions: SubscriptionService,
    private readonly config: ConfigService,
  ) {}

  @Get('subscription')
  @ApiOkResponse({ type: SubscriptionDto })
  subscription(@CurrentVendor() me: VendorAuth) {
    return this.subscriptions.getSubscriptionView(me.vendorId);
  }

  /** A custom-priced tier (no monthly price: Enterprise) is sold by hand: `contact_url` is SALES_CONTACT_URL. */
  @Get('tiers')
  @ApiOkResponse({ type: [TierDto], description: 'active tiers, by display order' })
  async tiers(@CurrentVendor() me: VendorAuth) {
    const contact = this.config.get<string>('SALES_CONTACT_URL') ?? null;
    return (await this.subscriptions.listTiersFor(me.vendorId)).map((tier) => ({ ...tier, contact_url: tier.price_monthly_cents === null ? contact : null }));
  }
}
