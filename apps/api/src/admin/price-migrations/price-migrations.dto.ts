import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';

const DATE_TIME = { type: 'string', format: 'date-time' } as const;

/** CONTRACT §11: `POST /api/v1/admin/price-migrations`. */
export class CreatePriceMigrationDto {
  @ApiProperty({ example: 'professional' })
  @IsString() @Matches(/^[a-z0-9_-]{2,32}$/, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;

  @ApiProperty({ description: 'migrate the annual (true) or the monthly (false) subscribers' })
  @IsBoolean()
  is_annual: boolean;

  @ApiProperty({ minimum: 0, maximum: 365, example: 30, description: 'each vendor moves at its first renewal at least this many days from now' })
  @IsInt() @Min(0) @Max(365)
  notice_days: number;

  @ApiPropertyOptional({ default: false, description: 'true: answer the preview, change nothing' })
  @OptionalField() @IsBoolean()
  dry_run?: boolean;
}

export class PriceMigrationSampleDto {
  @ApiProperty() vendor_id: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: not known yet (not seen from Stripe since prices were recorded)' }) old_amount_cents: number | null;
  @ApiProperty() new_amount_cents: number;
  @ApiProperty({ ...DATE_TIME, description: 'the first renewal at the new price' }) effective_at: string;
}

export class PriceMigrationFromPriceDto {
  @ApiProperty({ type: 'string', nullable: true }) old_price_id: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) old_amount_cents: number | null;
  @ApiProperty() vendors: number;
}

export class PriceMigrationPreviewDto {
  @ApiProperty() tier_code: string;
  @ApiProperty() is_annual: boolean;
  @ApiProperty() new_price_id: string;
  @ApiProperty() new_amount_cents: number;
  @ApiProperty({ example: 'eur' }) currency: string;
  @ApiProperty() notice_days: number;
  @ApiProperty({ description: 'how many vendors move' }) vendors: number;
  @ApiProperty({ description: 'MRR once all have moved minus MRR now (revenue\'s monthly value: a trial counts nothing, an annual price a twelfth)' }) mrr_change_cents: number;
  @ApiProperty({ description: 'vendors whose current amount is not known yet, left out of mrr_change_cents' }) unknown_amount_vendors: number;
  @ApiProperty({ ...DATE_TIME, nullable: true }) first_effective_at: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) last_effective_at: string | null;
  @ApiProperty({ type: [PriceMigrationFromPriceDto] }) from_prices: PriceMigrationFromPriceDto[];
  @ApiProperty({ type: [PriceMigrationSampleDto], description: 'the first 20 vendors by id' }) sample: PriceMigrationSampleDto[];
}

export class PriceMigrationStartedDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['pending', 'running', 'completed'] }) status: string;
}

export class PriceMigrationErrorDto {
  @ApiProperty() vendor_id: number;
  @ApiProperty({ enum: ['pending', 'scheduled', 'failed'], description: 'pending: will be retried' }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty() error: string;
}

export class PriceMigrationProgressDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['pending', 'running', 'completed'] }) status: string;
  @ApiProperty() tier_code: string;
  @ApiProperty() is_annual: boolean;
  @ApiProperty() new_price_id: string;
  @ApiProperty() new_amount_cents: number;
  @ApiProperty() currency: string;
  @ApiProperty() notice_days: number;
  @ApiProperty({ description: 'every vendor is listed and told; total is final' }) expanded: boolean;
  @ApiProperty({ description: 'vendors listed (each told with subscription.price_changing)' }) total: number;
  @ApiProperty({ description: 'vendors whose new price Stripe has scheduled' }) scheduled: number;
  @ApiProperty({ description: 'vendors given up (see errors)' }) failed: number;
  @ApiProperty({ description: 'vendors still to be scheduled' }) pending: number;
  @ApiProperty({ type: [PriceMigrationErrorDto], description: 'the first 50 vendors with an error, given-up ones first' }) errors: PriceMigrationErrorDto[];
  @ApiProperty(DATE_TIME) created_at: string;
  @ApiProperty({ ...DATE_TIME, nullable: true }) started_at: string | null;
  @ApiProperty({ ...DATE_TIME, nullable: true }) finished_at: string | null;
}
