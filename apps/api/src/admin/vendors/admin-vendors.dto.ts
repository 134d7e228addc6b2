import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';
import { InvoiceDto, VendorAddOnDto } from '../../billing/billing-responses.dto.js';
import { ADMIN_ACTIONS } from '@app/admin';
import { SUBSCRIPTION_STATUSES } from '@app/subscription';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const TIER_CODE = /^[a-z0-9_-]{2,32}$/;

export class ListVendorsQuery {
  @ApiPropertyOptional({ description: 'matches the vendor code, name or owner e-mail (anywhere, case-insensitive)' })
  @OptionalField() @Transform(trim) @IsString() @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES })
  @OptionalField() @IsIn(SUBSCRIPTION_STATUSES)
  status?: string;

  @ApiPropertyOptional({ example: 'enterprise' })
  @OptionalField() @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(0) @Max(10_000_000)
  offset: number = 0;
}

export class ExtendTrialDto {
  @ApiProperty({ minimum: 1, maximum: 90, example: 14 })
  @IsInt() @Min(1) @Max(90)
  days: number;
}

export class AssignTierDto {
  @ApiProperty({ example: 'enterprise' })
  @IsString() @Matches(TIER_CODE, { message: 'tier_code must be 2–32 characters of a-z, 0-9, _ and -' })
  tier_code: string;
}

// ---------- answers ----------

class UsageMeterDto {
  @ApiProperty() current: number;
  @ApiProperty({ nullable: true, type: Number, description: 'null = unlimited' }) limit: number | null;
  @ApiProperty({ nullable: true, type: Number }) percent: number | null;
}

class UsageDto {
  @ApiProperty({ type: UsageMeterDto }) products: UsageMeterDto;
  @ApiProperty({ type: UsageMeterDto }) orders: UsageMeterDto;
  @ApiProperty({ type: UsageMeterDto }) team_members: UsageMeterDto;
}

export class VendorListItemDto {
  @ApiProperty() id: number;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) owner_email: string | null;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ nullable: true, type: String }) tier_code: string | null;
  @ApiProperty({ nullable: true, enum: SUBSCRIPTION_STATUSES }) status: string | null;
  @ApiProperty({ nullable: true, type: UsageDto }) usage: UsageDto | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class VendorListResponseDto {
  @ApiProperty({ type: [VendorListItemDto] }) items: VendorListItemDto[];
  @ApiProperty() total: number;
}

class VendorDto {
  @ApiProperty() id: number;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) owner_email: string | null;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) updated_at: string | null;
  @ApiProperty({ nullable: true, type: String }) stripe_customer_id: string | null;
  @ApiProperty({ nullable: true, type: String }) stripe_subscription_id: string | null;
}

class PlatformEventsDto {
  @ApiProperty({ description: 'false until the platform-events outbox exists' }) available: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) items: unknown[];
}

export class AdminAuditDto {
  @ApiProperty() id: number;
  @ApiProperty() admin_user_id: number;
  @ApiProperty({ nullable: true, type: String }) admin_email: string | null;
  @ApiProperty() vendor_id: number;
  @ApiProperty({ enum: ADMIN_ACTIONS }) action: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) before: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) after: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class VendorDetailResponseDto {
  @ApiProperty({ type: VendorDto }) vendor: VendorDto;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: "the vendor's GET /vendor/billing/subscription body" })
  subscription: Record<string, unknown> | null;
  @ApiProperty({ type: [VendorAddOnDto], description: 'as GET /vendor/billing/my-addons' }) add_ons: unknown[];
  @ApiProperty({ type: [InvoiceDto], description: 'the 10 newest, as GET /vendor/billing/invoices' }) invoices: unknown[];
  @ApiProperty() invoices_total: number;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: "the 20 newest Stripe events of the vendor's customer" }) stripe_events: unknown[];
  @ApiProperty({ type: PlatformEventsDto }) platform_events: PlatformEventsDto;
  @ApiProperty({ type: [AdminAuditDto] }) audit: AdminAuditDto[];
}

export class AdminActionResponseDto {
  @ApiProperty({ enum: ADMIN_ACTIONS }) action: string;
  @ApiProperty() vendor_id: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) before: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) after: Record<string, unknown>;
  @ApiProperty({ type: AdminAuditDto }) audit: AdminAuditDto;
}
