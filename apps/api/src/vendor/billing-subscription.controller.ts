import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { VendorAuth } from '@app/platform';
import { LimitService, SubscriptionService } from '@app/subscription';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { OverageDto, SubscriptionDto, TierDto } from '../billing/billing-responses.dto.js';
import { OverageCapDto } from '../billing/billing.dto.js';
import { ApiErrors } from '../common/openapi/index.js';

/** The read side of `/api/v1/vendor/billing` (plan and usage, tiers); the Stripe routes live in BillingApiModule. */
@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class BillingSubscriptionController {
  constructor(
    private readonly subscriptions: SubscriptionService,
    private readonly config: ConfigService,
    private readonly limits: LimitService,
  ) {}

  @Get('subscription')
  @ApiOkResponse({ type: SubscriptionDto })
  subscription(@CurrentVendor() me: VendorAuth) {
    return this.subscriptions.getSubscriptionView(me.vendorId);
  }

  /**
   * The vendor's cap on a period's overage (CONTRACT §12): owner only, no Stripe call (the cap is held here, in the
   * order claim). Answers the period's overage as /subscription shows it.
   */
  @Patch('overage')
  @OwnerOnly()
  @ApiOkResponse({ type: OverageDto })
  @ApiErrors([400, 'VALIDATION_FAILED (cap_cents missing, not an integer, below 0 or above 2147483647)'])
  async overage(@CurrentVendor() me: VendorAuth, @Body() dto: OverageCapDto) {
    await this.limits.setOverageCap(me.vendorId, dto.cap_cents);
    return this.subscriptions.getOverageView(me.vendorId);
  }

  /** A custom-priced tier (no monthly price: Enterprise) is sold by hand: `contact_url` is SALES_CONTACT_URL. */
  @Get('tiers')
  @ApiOkResponse({ type: [TierDto], description: 'active tiers, by display order' })
  async tiers(@CurrentVendor() me: VendorAuth) {
    const contact = this.config.get<string>('SALES_CONTACT_URL') ?? null;
    return (await this.subscriptions.listTiersFor(me.vendorId)).map((tier) => ({ ...tier, contact_url: tier.price_monthly_cents === null ? contact : null }));
  }
}
