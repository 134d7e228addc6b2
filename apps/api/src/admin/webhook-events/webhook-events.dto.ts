import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';

export class ListWebhookEventsQuery {
  @OptionalField() @IsIn(['processing', 'processed', 'failed', 'ignored', 'needs_attention'])
  status?: 'processing' | 'processed' | 'failed' | 'ignored' | 'needs_attention';

  @OptionalField() @IsString() @MaxLength(100)
  type?: string;

  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

export class WebhookEventIdParam {
  @IsString() @MaxLength(255) @Matches(/^[A-Za-z0-9_-]+$/, { message: 'event_id must be a Stripe event id' })
  event_id: string;
}
