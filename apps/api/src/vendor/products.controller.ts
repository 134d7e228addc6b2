import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { ProductService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/openapi/index.js';
import { IdPipe } from './id.pipe.js';
import { ProductDto, ProductPageDto } from './vendor-responses.dto.js';
import { CreateProductDto, PageQueryDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/products')
export class ProductsController {
  constructor(private readonly products: ProductService) {}

  @Get()
  @ApiOkResponse({ type: ProductPageDto })
  @ApiErrors(400)
  list(@CurrentVendor() me: VendorAuth, @Query() page: PageQueryDto) {
    return this.products.list(me.vendorId, page);
  }

  @Post()
  @ApiCreatedResponse({ type: ProductDto })
  @ApiErrors(400, [403, 'TIER_LIMIT_EXCEEDED (details: limit_type, current, limit, tier_code); SUBSCRIPTION_INACTIVE; FORBIDDEN'])
  create(@CurrentVendor() me: VendorAuth, @Body() dto: CreateProductDto) {
    return this.products.create(me.vendorId, { name: dto.name, priceCents: dto.price_cents, sku: dto.sku });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: 'integer' })
  @ApiNoContentResponse({ description: 'deleted; its slot is free' })
  @ApiErrors(400, 404)
  remove(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.products.remove(me.vendorId, id);
  }
}
