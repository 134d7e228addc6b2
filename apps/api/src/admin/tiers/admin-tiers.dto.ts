import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { TIER_FEATURES } from '@app/database';
import type { TierInput, TierPatch } from '@app/subscription';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const INT_MAX = 2_147_483_647;
/** Validate unless absent (PATCH leaves it alone). */
const present = (_: object, v: unknown) => v !== undefined;
/** Validate unless absent or null (null = unlimited / custom price / no Stripe id). */
const presentAndNotNull = (_: object, v: unknown) => v !== undefined && v !== null;
/** Validate unless null: the field must be given, null allowed. */
const notNull = (_: object, v: unknown) => v !== null;

/** The fields POST and PATCH validate alike: all optional; prices and Stripe ids may be null. */
class TierCommonFieldsDto {
  @ApiPropertyOptional() @ValidateIf(present) @IsString() @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: 'integer', nullable: true }) @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  price_monthly_cents?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true }) @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  price_annual_cents?: number | null;

  @ApiPropertyOptional({ example: 'eur' }) @ValidateIf(present) @IsString() @Matches(/^[a-z]{3}$/, { message: 'currency must be a lowercase ISO code' })
  currency?: string;

  @ApiPropertyOptional({ enum: TIER_FEATURES, isArray: true })
  @ValidateIf(present) @IsArray() @ArrayUnique() @ArrayMaxSize(TIER_FEATURES.length) @IsIn(TIER_FEATURES, { each: true })
  features?: string[];

  @ApiPropertyOptional({ type: 'string', nullable: true }) @ValidateIf(presentAndNotNull) @IsString() @MinLength(1) @MaxLength(255)
  stripe_product_id?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true }) @ValidateIf(presentAndNotNull) @IsString() @MinLength(1) @MaxLength(255)
  stripe_price_monthly_id?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true }) @ValidateIf(presentAndNotNull) @IsString() @MinLength(1) @MaxLength(255)
  stripe_price_annual_id?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'the price of one order past orders_per_month, billed through the Stripe overage meter up to each vendor\'s cap (CONTRACT §12); null: a hard limit' })
  @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  orders_overage_price_cents?: number | null;

  @ApiPropertyOptional() @ValidateIf(present) @IsInt() @Min(-1000) @Max(1_000_000)
  display_order?: number;

  @ApiPropertyOptional() @ValidateIf(present) @IsBoolean()
  is_active?: boolean;
}

/** PATCH: every field optional; a limit may be set to null (unlimited). The code cannot change. */
export class UpdateTierDto extends TierCommonFieldsDto {
  @ApiPropertyOptional() @ValidateIf(present) @Transform(trim) @IsString() @MinLength(1) @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  products_limit?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  orders_per_month?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(presentAndNotNull) @IsInt() @Min(0) @Max(INT_MAX)
  team_members?: number | null;
}

/** POST: code and name required, and the three limits must be stated (a number, or null for unlimited). */
export class CreateTierDto extends TierCommonFieldsDto {
  @ApiProperty({ example: 'growth', pattern: '^[a-z0-9_-]{2,32}$' })
  @IsString() @Matches(/^[a-z0-9_-]{2,32}$/, { message: 'code must be 2–32 characters of a-z, 0-9, _ and -' })
  code: string;

  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(100)
  name: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(notNull) @IsInt() @Min(0) @Max(INT_MAX)
  products_limit: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(notNull) @IsInt() @Min(0) @Max(INT_MAX)
  orders_per_month: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null = unlimited' }) @ValidateIf(notNull) @IsInt() @Min(0) @Max(INT_MAX)
  team_members: number | null;
}

export function toTierPatch(dto: UpdateTierDto | CreateTierDto): TierPatch {
  return {
    name: dto.name,
    description: dto.description,
    priceMonthlyCents: dto.price_monthly_cents,
    priceAnnualCents: dto.price_annual_cents,
    currency: dto.currency,
    productsLimit: dto.products_limit,
    ordersPerMonth: dto.orders_per_month,
    teamMembers: dto.team_members,
    ordersOveragePriceCents: dto.orders_overage_price_cents,
    features: dto.features,
    stripeProductId: dto.stripe_product_id,
    stripePriceMonthlyId: dto.stripe_price_monthly_id,
    stripePriceAnnualId: dto.stripe_price_annual_id,
    displayOrder: dto.display_order,
    isActive: dto.is_active,
  };
}

export function toTierInput(dto: CreateTierDto): TierInput {
  const patch = toTierPatch(dto);
  return { ...patch, code: dto.code, name: dto.name };
}
