import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OrderService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { CreateOrderDto, PageQueryDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/orders')
export class OrdersController {
  constructor(private readonly orders: OrderService) {}

  @Get()
  list(@CurrentVendor() me: VendorAuth, @Query() page: PageQueryDto) {
    return this.orders.list(me.vendorId, page);
  }

  @Post()
  create(@CurrentVendor() me: VendorAuth, @Body() dto: CreateOrderDto) {
    return this.orders.create(me.vendorId, { totalCents: dto.total_cents, customerEmail: dto.customer_email });
  }
}
