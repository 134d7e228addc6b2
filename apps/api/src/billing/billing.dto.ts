import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

const TIER_CODE = /^[a-z0-9_-]{2,32}$/;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Query strings carry booleans as text. */
const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value);

export class CreateCheckoutDto {
  @ApiProperty({ example: 'professional' })
  @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional() @IsBoolean()
  is_annual: boolean = false;
}

/** A body that must be `{}` (or absent). */
export class EmptyDto {}

export class InvoicesQueryDto {
  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(2_147_483_647)
  offset: number = 0;
}

export class UpcomingInvoiceQueryDto {
  @ApiPropertyOptional({ description: 'preview a change to this tier' })
  @IsOptional() @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code?: string;

  @ApiPropertyOptional({ description: 'preview annual (true) or monthly (false) billing; default: the current interval' })
  @IsOptional() @Transform(queryBoolean) @IsBoolean()
  is_annual?: boolean;
}

export class ChangeTierDto {
  @ApiProperty({ example: 'business' })
  @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;

  @ApiPropertyOptional({ description: 'default: the current interval' })
  @IsOptional() @IsBoolean()
  is_annual?: boolean;

  @ApiPropertyOptional({ description: 'Unix seconds, from GET /upcoming-invoice, so the charge equals the preview' })
  @IsOptional() @IsInt() @Min(1)
  proration_date?: number;
}

export class CancelDto {
  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @Transform(trim) @IsString() @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({ default: false, description: 'end the subscription now instead of at the end of the period' })
  @IsOptional() @IsBoolean()
  immediately?: boolean;
}

export class PurchaseAddOnDto {
  @ApiProperty({ example: 'domain' })
  @IsString() @MinLength(1) @MaxLength(32)
  addon_code: string;

  @ApiPropertyOptional({ example: 'shop.example.com', description: 'required for add-ons that require a domain' })
  @IsOptional() @IsString() @MaxLength(253)
  domain_name?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 100 })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  quantity?: number;
}
