import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { BillingSyncService, CancellationService, CheckoutService, InvoiceService, PortalService, TierChangeService } from '@app/billing';
import type { VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
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
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried request with the same key gets the same Checkout session' })
  @OwnerOnly()
  createCheckout(@CurrentVendor() me: VendorAuth, @Body() dto: CreateCheckoutDto, @Headers('idempotency-key') key?: string) {
    return this.checkout.createTierCheckout(me.vendorId, { tierCode: dto.tier_code, isAnnual: dto.is_annual }, key);
  }

  @Post('portal')
  @HttpCode(200)
  @OwnerOnly()
  createPortal(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.portal.createPortalSession(me.vendorId);
  }

  @Get('invoices')
  listInvoices(@CurrentVendor() me: VendorAuth, @Query() page: InvoicesQueryDto) {
    return this.invoices.listInvoices(me.vendorId, page);
  }

  @Get('upcoming-invoice')
  upcomingInvoice(@CurrentVendor() me: VendorAuth, @Query() q: UpcomingInvoiceQueryDto) {
    return this.invoices.previewUpcomingInvoice(me.vendorId, { tierCode: q.tier_code, isAnnual: q.is_annual });
  }

  @Post('change-tier')
  @HttpCode(200)
  @OwnerOnly()
  changeTier(@CurrentVendor() me: VendorAuth, @Body() dto: ChangeTierDto) {
    return this.tierChanges.changeTier(me.vendorId, { tierCode: dto.tier_code, isAnnual: dto.is_annual, prorationDate: dto.proration_date });
  }

  @Post('sync')
  @HttpCode(200)
  @OwnerOnly()
  syncFromStripe(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.sync.syncFromStripe(me.vendorId);
  }

  @Post('cancel')
  @HttpCode(200)
  @OwnerOnly()
  cancel(@CurrentVendor() me: VendorAuth, @Body() dto: CancelDto) {
    return this.cancellations.cancel(me.vendorId, { reason: dto.reason, immediately: dto.immediately });
  }

  @Post('reactivate')
  @HttpCode(200)
  @OwnerOnly()
  reactivate(@CurrentVendor() me: VendorAuth, @Body() _: EmptyDto) {
    return this.cancellations.reactivate(me.vendorId);
  }
}
