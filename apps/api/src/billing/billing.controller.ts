import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { BillingSyncService, CancellationService, CheckoutService, InvoiceService, PortalService, TierChangeService } from '@app/billing';
import type { VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { ApiErrors, ApiIdempotencyKey, ApiStripeErrors, IdempotencyKey } from '../common/openapi/index.js';
import { CancellationDto, CheckoutSessionDto, InvoicePageDto, MessageDto, PortalSessionDto, SubscriptionDto, TierChangeDto, UpcomingInvoiceDto } from './billing-responses.dto.js';
import { CancelDto, ChangeTierDto, CreateCheckoutDto, EmptyDto, InvoicesQueryDto, UpcomingInvoiceQueryDto } from './billing.dto.js';

/** The Stripe side of `/api/v1/vendor/billing` (GET /subscription and /tiers live in the vendor module). */
@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class BillingController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly portal: PortalService,
    private readonly invoices: InvoiceService,
    private readonly tierChanges: TierChangeService,
    private readonly cancellations: CancellationService,
    private readonly sync: BillingSyncService,
  ) {}

  @Post('checkout')
  @HttpCode(200)
  @ApiIdempotencyKey('optional: a retried request with the same key gets the same Checkout session')
  @OwnerOnly()
  @ApiOkResponse({ type: CheckoutSessionDto })
  @ApiErrors([400, 'VALIDATION_FAILED; STRIPE_PRICE_NOT_CONFIGURED (no Stripe price for the interval)'], [404, 'TIER_NOT_FOUND'])
  @ApiStripeErrors()
  createCheckout(@CurrentVendor() me: VendorAuth, @Body() dto: CreateCheckoutDto, @IdempotencyKey() key?: string) {
    return this.checkout.createTierCheckout(me.vendorId, { tierCode: dto.tier_code, isAnnual: dto.is_annual }, key);
  }

  @Post('portal')
  @HttpCode(200)
  @OwnerOnly()
  @ApiOkResponse({ type: PortalSessionDto })
  @ApiErrors([400, 'VALIDATION_FAILED; NO_ACTIVE_SUBSCRIPTION (no Stripe customer yet: choose a plan first)'])
  @ApiStripeErrors()
  createPortal(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.portal.createPortalSession(me.vendorId);
  }

  @Get('invoices')
  @ApiOkResponse({ type: InvoicePageDto })
  @ApiErrors(400)
  listInvoices(@CurrentVendor() me: VendorAuth, @Query() page: InvoicesQueryDto) {
    return this.invoices.listInvoices(me.vendorId, page);
  }

  @Get('upcoming-invoice')
  @ApiOkResponse({ type: UpcomingInvoiceDto })
  @ApiErrors([400, 'VALIDATION_FAILED; NO_ACTIVE_SUBSCRIPTION; STRIPE_PRICE_NOT_CONFIGURED'], [404, 'TIER_NOT_FOUND'])
  @ApiStripeErrors()
  upcomingInvoice(@CurrentVendor() me: VendorAuth, @Query() q: UpcomingInvoiceQueryDto) {
    return this.invoices.previewUpcomingInvoice(me.vendorId, { tierCode: q.tier_code, isAnnual: q.is_annual });
  }

  @Post('change-tier')
  @HttpCode(200)
  @OwnerOnly()
  @ApiOkResponse({ type: TierChangeDto })
  @ApiErrors([400, 'VALIDATION_FAILED (proration_date too old); STRIPE_PRICE_NOT_CONFIGURED'], [404, 'TIER_NOT_FOUND'], [409, 'DOWNGRADE_EXCEEDS_LIMITS (details.violations)'])
  @ApiStripeErrors()
  changeTier(@CurrentVendor() me: VendorAuth, @Body() dto: ChangeTierDto) {
    return this.tierChanges.changeTier(me.vendorId, { tierCode: dto.tier_code, isAnnual: dto.is_annual, prorationDate: dto.proration_date });
  }

  @Post('sync')
  @HttpCode(200)
  @OwnerOnly()
  @ApiOkResponse({ type: SubscriptionDto, description: 'the /subscription body after re-reading Stripe' })
  @ApiErrors(400)
  @ApiStripeErrors()
  syncFromStripe(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.sync.syncFromStripe(me.vendorId);
  }

  @Post('cancel')
  @HttpCode(200)
  @OwnerOnly()
  @ApiOkResponse({ type: CancellationDto })
  @ApiErrors(400, [409, 'CONFLICT (already cancelled or expired)'])
  @ApiStripeErrors()
  cancel(@CurrentVendor() me: VendorAuth, @Body() dto: CancelDto) {
    return this.cancellations.cancel(me.vendorId, { reason: dto.reason, immediately: dto.immediately });
  }

  @Post('reactivate')
  @HttpCode(200)
  @OwnerOnly()
  @ApiOkResponse({ type: MessageDto })
  @ApiErrors([400, 'VALIDATION_FAILED; SUBSCRIPTION_NOT_CANCELLED'])
  @ApiStripeErrors()
  reactivate(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.cancellations.reactivate(me.vendorId);
  }
}
