import { ApiProperty } from '@nestjs/swagger';

// The answers of the vendor resources (CONTRACT §4), for the OpenAPI document.

const DATE_TIME = { type: 'string', format: 'date-time' } as const;

export class ProductDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'Blue mug' }) name: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'MUG-BLUE' }) sku: string | null;
  @ApiProperty({ example: 1299 }) price_cents: number;
  @ApiProperty(DATE_TIME) created_at: string;
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] }) items: ProductDto[];
  @ApiProperty() total: number;
}

export class OrderDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 4500 }) total_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty({ type: 'string', nullable: true }) customer_email: string | null;
  @ApiProperty(DATE_TIME) created_at: string;
  @ApiProperty({ description: 'accepted past the tier\'s orders_per_month and billed as overage (CONTRACT §12)' }) overage: boolean;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto] }) items: OrderDto[];
  @ApiProperty() total: number;
}

export class TeamMemberDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'clerk@acme.test' }) email: string;
  @ApiProperty({ enum: ['vendor'], example: 'vendor' }) role: string;
  @ApiProperty({ enum: ['owner', 'member'], enumName: 'VendorRole' }) vendor_role: string;
  @ApiProperty() is_owner: boolean;
  @ApiProperty(DATE_TIME) created_at: string;
}

export class TeamPageDto {
  @ApiProperty({ type: [TeamMemberDto] }) items: TeamMemberDto[];
  @ApiProperty() total: number;
}

export class AnalyticsSummaryDto {
  @ApiProperty() products: number;
  @ApiProperty() orders_this_period: number;
  @ApiProperty() revenue_this_period_cents: number;
  @ApiProperty(DATE_TIME) period_start: string;
  @ApiProperty(DATE_TIME) period_end: string;
}
