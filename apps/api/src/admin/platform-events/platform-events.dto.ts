import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsUUID, Max, Min, ValidateBy } from 'class-validator';
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

/** An ISO-8601 date-time with its offset (`2026-12-01T00:00:00Z`) naming a real calendar day and time of day. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
function isIsoDateTime(value: unknown): boolean {
  const m = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  if (!m) return false;
  // Date.parse rolls 2026-02-30 over into March: the day must exist in its month.
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
const IsIsoDateTime = () =>
  ValidateBy({
    name: 'isIsoDateTime',
    validator: {
      validate: isIsoDateTime,
      defaultMessage: (args) => `${args?.property ?? 'value'} must be an ISO-8601 date-time with an offset, e.g. 2026-12-01T00:00:00Z`,
    },
  });

/** `POST /admin/platform-events/redeliver`: which events to send again (only `failed` ones, since a time). */
export class RedeliverPlatformEventsBody {
  @ApiProperty({ enum: ['failed'], description: 'Only failed events (given up after 3 days of retries) are sent again in bulk' })
  @IsIn(['failed'])
  status: 'failed';

  @ApiProperty({ format: 'date-time', description: 'Events written at or after this time' })
  @IsIsoDateTime()
  since: string;

  @ApiPropertyOptional({ default: false, description: 'Only count them, change nothing (the console asks this before confirming)' })
  @OptionalField() @IsBoolean()
  dry_run?: boolean;
}

export class RedeliverPlatformEventsResponse {
  @ApiProperty({ description: 'How many failed events were queued again (dry_run: would be)' })
  count: number;

  @ApiProperty({ format: 'date-time' })
  since: string;

  @ApiProperty()
  dry_run: boolean;
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
