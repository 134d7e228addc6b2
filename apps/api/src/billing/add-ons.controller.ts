import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { AddOnService } from '@app/billing';
import type { VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { IdPipe } from '../vendor/id.pipe.js';
import { PurchaseAddOnDto } from './billing.dto.js';

@ApiTags('billing')
@VendorOnly()
@Controller('api/v1/vendor/billing')
export class AddOnsController {
  constructor(private readonly addOns: AddOnService) {}

  @Get('addons')
  catalog() {
    return this.addOns.listCatalog();
  }

  @Get('my-addons')
  mine(@CurrentVendor() me: VendorAuth) {
    return this.addOns.listVendorAddOns(me.vendorId);
  }

  @Post('addons/purchase')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @OwnerOnly()
  purchase(@CurrentVendor() me: VendorAuth, @Body() dto: PurchaseAddOnDto, @Headers('idempotency-key') key?: string) {
    return this.addOns.purchase(me.vendorId, { addonCode: dto.addon_code, domainName: dto.domain_name, quantity: dto.quantity }, key);
  }

  @Delete('addons/:id')
  @OwnerOnly()
  cancel(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.addOns.cancel(me.vendorId, id);
  }
}
