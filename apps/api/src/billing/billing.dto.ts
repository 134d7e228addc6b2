import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { OptionalField } from '../common/validators.js';

const TIER_CODE = /^[a-z0-9_-]{2,32}$/;
/** 2100-01-01: a proration date is near now; an integer like 1e308 is not a date. */
const UNIX_SECONDS_MAX = 4_102_444_800;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Query strings carry booleans as text. */
const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value);

export class CreateCheckoutDto {
  @ApiProperty({ example: 'professional' })
  @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;

  @ApiPropertyOptional({ default: false })
  @OptionalField() @IsBoolean()
  is_annual: boolean = false;
}

/** A body that must be `{}` (or absent). */
export class EmptyDto {}

export class InvoicesQueryDto {
  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(0) @Max(2_147_483_647)
  offset: number = 0;
}

export class UpcomingInvoiceQueryDto {
  @ApiPropertyOptional({ description: 'preview a change to this tier' })
  @OptionalField() @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code?: string;

  @ApiPropertyOptional({ description: 'preview annual (true) or monthly (false) billing; default: the current interval' })
  @OptionalField() @Transform(queryBoolean) @IsBoolean()
  is_annual?: boolean;
}

export class ChangeTierDto {
  @ApiProperty({ example: 'business' })
  @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;

  @ApiPropertyOptional({ description: 'default: the current interval' })
  @OptionalField() @IsBoolean()
  is_annual?: boolean;

  @ApiPropertyOptional({ description: 'Unix seconds, from GET /upcoming-invoice, so the charge equals the preview' })
  @OptionalField() @IsInt() @Min(1) @Max(UNIX_SECONDS_MAX)
  proration_date?: number;
}

export class CancelDto {
  @ApiPropertyOptional({ maxLength: 1000 })
  @OptionalField() @Transform(trim) @IsString() @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({ default: false, description: 'end the subscription now instead of at the end of the period' })
  @OptionalField() @IsBoolean()
  immediately?: boolean;
}

export class PurchaseAddOnDto {
  @ApiProperty({ example: 'domain' })
  @IsString() @MinLength(1) @MaxLength(32)
  addon_code: string;

  @ApiPropertyOptional({ example: 'shop.example.com', description: 'required for add-ons that require a domain' })
  @OptionalField() @IsString() @MaxLength(253)
  domain_name?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 100 })
  @OptionalField() @IsInt() @Min(1) @Max(100)
  quantity?: number;
}

/** PATCH /overage: the cap on a period's overage, in cents (CONTRACT §12); null removes it. Required (null or a number). */
export class OverageCapDto {
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, maximum: 2_147_483_647, example: 4900, description: 'null: no cap' })
  @ValidateIf((_: object, v: unknown) => v !== null) @IsInt() @Min(0) @Max(2_147_483_647)
  cap_cents: number | null;
}
