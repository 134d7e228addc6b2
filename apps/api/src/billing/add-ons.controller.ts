import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { AddOnService } from '@app/billing';
import type { VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { ApiErrors, ApiIdempotencyKey, ApiStripeErrors, IdempotencyKey } from '../common/openapi/index.js';
import { IdPipe } from '../vendor/id.pipe.js';
import { AddOnCancellationDto, AddOnDto, CheckoutSessionDto, VendorAddOnDto } from './billing-responses.dto.js';
import { PurchaseAddOnDto } from './billing.dto.js';

@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class AddOnsController {
  constructor(private readonly addOns: AddOnService) {}

  @Get('addons')
  @ApiOkResponse({ type: [AddOnDto] })
  catalog() {
    return this.addOns.listCatalog();
  }

  @Get('my-addons')
  @ApiOkResponse({ type: [VendorAddOnDto] })
  mine(@CurrentVendor() me: VendorAuth) {
    return this.addOns.listVendorAddOns(me.vendorId);
  }

  @Post('addons/purchase')
  @HttpCode(200)
  @ApiIdempotencyKey('optional: a retried request with the same key gets the same Checkout session')
  @OwnerOnly()
  @ApiOkResponse({ type: CheckoutSessionDto })
  @ApiErrors([400, 'VALIDATION_FAILED (domain_name missing or not a hostname); STRIPE_PRICE_NOT_CONFIGURED'], [404, 'NOT_FOUND (unknown add-on)'], [409, 'CONFLICT (the domain is held by another vendor)'])
  @ApiStripeErrors()
  purchase(@CurrentVendor() me: VendorAuth, @Body() dto: PurchaseAddOnDto, @IdempotencyKey() key?: string) {
    return this.addOns.purchase(me.vendorId, { addonCode: dto.addon_code, domainName: dto.domain_name, quantity: dto.quantity }, key);
  }

  @Delete('addons/:id')
  @OwnerOnly()
  @ApiParam({ name: 'id', type: 'integer', description: 'the vendor add-on id (from /my-addons)' })
  @ApiOkResponse({ type: AddOnCancellationDto })
  @ApiErrors(400, [404, 'NOT_FOUND (no such add-on of this vendor)'])
  @ApiStripeErrors()
  cancel(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.addOns.cancel(me.vendorId, id);
  }
}
