import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { WebhookEventAdminService } from '@app/billing';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/index.js';
import { WebhookEventDto, WebhookEventListDto } from '../admin-responses.dto.js';
import { ListWebhookEventsQuery, WebhookEventIdParam } from './webhook-events.dto.js';

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/webhook-events')
export class WebhookEventsController {
  constructor(private readonly webhooks: WebhookEventAdminService) {}

  /** Recent Stripe events, newest first: status, attempts, error. */
  @Get()
  @ApiOkResponse({ type: WebhookEventListDto })
  @ApiErrors(400)
  async list(@Query() query: ListWebhookEventsQuery) {
    return { items: await this.webhooks.listEvents(query) };
  }

  /** Processes a stored failed or ignored event again; answers the event as it stands afterwards. */
  @Post(':event_id/replay')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookEventDto, description: 'the event as it stands after the replay (a failure included)' })
  @ApiErrors(400, [404, 'NOT_FOUND (unknown event id)'], [409, 'CONFLICT (already processed, or no stored payload)'])
  replay(@Param() params: WebhookEventIdParam) {
    return this.webhooks.replay(params.event_id);
  }
}
