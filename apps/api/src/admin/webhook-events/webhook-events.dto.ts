import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from '../../common/validators.js';

export class ListWebhookEventsQuery {
  @ApiPropertyOptional({ enum: ['processing', 'processed', 'failed', 'ignored', 'needs_attention'], enumName: 'WebhookEventStatus' })
  @OptionalField() @IsIn(['processing', 'processed', 'failed', 'ignored', 'needs_attention'])
  status?: 'processing' | 'processed' | 'failed' | 'ignored' | 'needs_attention';

  @ApiPropertyOptional({ example: 'invoice.paid', description: 'the Stripe event type' })
  @OptionalField() @IsString() @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

export class WebhookEventIdParam {
  @ApiProperty({ example: 'evt_1Abc' })
  @IsString() @MaxLength(255) @Matches(/^[A-Za-z0-9_-]+$/, { message: 'event_id must be a Stripe event id' })
  event_id: string;
}
