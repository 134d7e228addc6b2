import { ApiProperty } from '@nestjs/swagger';

// The answers of the admin tiers and Stripe event ledger (CONTRACT §7), for the OpenAPI document.

const DATE_TIME = { type: 'string', format: 'date-time' } as const;
const NULL_STRING = { type: 'string', nullable: true } as const;
const UNLIMITED = { type: 'integer', nullable: true, description: 'null: unlimited' } as const;

export class AdminTierDto {
  @ApiProperty({ example: 'business' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: custom pricing' }) price_monthly_cents: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: custom pricing' }) price_annual_cents: number | null;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty(UNLIMITED) products_limit: number | null;
  @ApiProperty(UNLIMITED) orders_per_month: number | null;
  @ApiProperty(UNLIMITED) team_members: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'the price of one order past orders_per_month (CONTRACT §12); null: a hard limit' }) orders_overage_price_cents: number | null;
  @ApiProperty(NULL_STRING) stripe_overage_price_id: string | null;
  @ApiProperty({ type: [String] }) features: string[];
  @ApiProperty(NULL_STRING) stripe_product_id: string | null;
  @ApiProperty(NULL_STRING) stripe_price_monthly_id: string | null;
  @ApiProperty(NULL_STRING) stripe_price_annual_id: string | null;
  @ApiProperty() display_order: number;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ enum: ['database', 'default'], description: 'a database row, or the built-in default for that code' }) source: string;
}

export class WebhookEventDto {
  @ApiProperty({ example: 'evt_1Abc' }) event_id: string;
  @ApiProperty({ example: 'invoice.paid' }) type: string;
  @ApiProperty({ enum: ['processing', 'processed', 'failed', 'ignored', 'needs_attention'], enumName: 'WebhookEventStatus' }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty(NULL_STRING) error: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) event_created_at: string | null;
  @ApiProperty(DATE_TIME) received_at: string;
  @ApiProperty({ ...DATE_TIME, nullable: true }) processed_at: string | null;
}

export class WebhookEventListDto {
  @ApiProperty({ type: [WebhookEventDto] }) items: WebhookEventDto[];
}
