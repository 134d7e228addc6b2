import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsUUID, Max, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';
import { PLATFORM_EVENT_STATUSES, PLATFORM_EVENT_TYPES, type PlatformEventStatus, type PlatformEventType } from '@app/platform-events';

export class ListPlatformEventsQuery {
  @ApiPropertyOptional() @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(2_147_483_647)
  vendor_id?: number;

  @ApiPropertyOptional({ enum: PLATFORM_EVENT_TYPES }) @OptionalField() @IsIn(PLATFORM_EVENT_TYPES)
  type?: PlatformEventType;

  @ApiPropertyOptional({ enum: PLATFORM_EVENT_STATUSES }) @OptionalField() @IsIn(PLATFORM_EVENT_STATUSES)
  status?: PlatformEventStatus;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 }) @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

export class PlatformEventIdParam {
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'id must be a platform event id' })
  id: string;
}

/** One event of the outbox with its delivery state. */
export class PlatformEventResponse {
  @ApiProperty({ format: 'uuid', description: 'The id the receiver sees (deduplicate on it)' })
  id: string;

  @ApiProperty({ enum: PLATFORM_EVENT_TYPES })
  type: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty()
  vendor_id: number;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As CONTRACT §9 lists per type' })
  data: Record<string, unknown>;

  @ApiProperty({ enum: PLATFORM_EVENT_STATUSES })
  status: string;

  @ApiProperty({ description: 'Delivery attempts so far' })
  attempts: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a pending event is tried again (null: now)' })
  next_attempt_at: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'What the last failed attempt got (HTTP status, timeout, unreachable)' })
  last_error: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at: string | null;
}

export class PlatformEventListResponse {
  @ApiProperty({ type: [PlatformEventResponse] })
  items: PlatformEventResponse[];
}
