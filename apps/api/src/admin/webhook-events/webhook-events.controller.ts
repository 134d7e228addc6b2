import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { WebhookEventAdminService } from '@app/billing';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ListWebhookEventsQuery, WebhookEventIdParam } from './webhook-events.dto.js';

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/webhook-events')
export class WebhookEventsController {
  constructor(private readonly webhooks: WebhookEventAdminService) {}

  /** Recent Stripe events, newest first: status, attempts, error. */
  @Get()
  async list(@Query() query: ListWebhookEventsQuery) {
    return { items: await this.webhooks.listEvents(query) };
  }

  /** Processes a stored failed or ignored event again; answers the event as it stands afterwards. */
  @Post(':event_id/replay')
  @HttpCode(200)
  replay(@Param() params: WebhookEventIdParam) {
    return this.webhooks.replay(params.event_id);
  }
}
