import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProductService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { IdPipe } from './id.pipe.js';
import { CreateProductDto, PageQueryDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/products')
export class ProductsController {
  constructor(private readonly products: ProductService) {}

  @Get()
  list(@CurrentVendor() me: VendorAuth, @Query() page: PageQueryDto) {
    return this.products.list(me.vendorId, page);
  }

  @Post()
  create(@CurrentVendor() me: VendorAuth, @Body() dto: CreateProductDto) {
    return this.products.create(me.vendorId, { name: dto.name, priceCents: dto.price_cents, sku: dto.sku });
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.products.remove(me.vendorId, id);
  }
}
