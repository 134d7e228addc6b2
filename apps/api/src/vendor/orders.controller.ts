import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrderService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/openapi/index.js';
import { OrderDto, OrderPageDto } from './vendor-responses.dto.js';
import { CreateOrderDto, PageQueryDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/orders')
export class OrdersController {
  constructor(private readonly orders: OrderService) {}

  @Get()
  @ApiOkResponse({ type: OrderPageDto })
  @ApiErrors(400)
  list(@CurrentVendor() me: VendorAuth, @Query() page: PageQueryDto) {
    return this.orders.list(me.vendorId, page);
  }

  @Post()
  @ApiCreatedResponse({ type: OrderDto })
  @ApiErrors(400, [403, 'TIER_LIMIT_EXCEEDED (orders_this_period reached orders_per_month, or on a tier with overage pricing the vendor\'s overage cap: details.overage_cap_reached); SUBSCRIPTION_INACTIVE; FORBIDDEN'])
  create(@CurrentVendor() me: VendorAuth, @Body() dto: CreateOrderDto) {
    return this.orders.create(me.vendorId, { totalCents: dto.total_cents, customerEmail: dto.customer_email });
  }
}
