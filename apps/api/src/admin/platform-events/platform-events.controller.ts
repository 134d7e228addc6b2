import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlatformEventAdminService } from '@app/platform-events';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/index.js';
import {
  ListPlatformEventsQuery,
  PlatformEventIdParam,
  PlatformEventListResponse,
  PlatformEventResponse,
  RedeliverPlatformEventsBody,
  RedeliverPlatformEventsResponse,
} from './platform-events.dto.js';

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/platform-events')
export class PlatformEventsController {
  constructor(private readonly events: PlatformEventAdminService) {}

  /** The outbox of platform events (CONTRACT §9), newest first: status, attempts and the last error. */
  @Get()
  @ApiOkResponse({ type: PlatformEventListResponse })
  async list(@Query() query: ListPlatformEventsQuery): Promise<PlatformEventListResponse> {
    return { items: await this.events.list({ vendorId: query.vendor_id, type: query.type, status: query.status, limit: query.limit }) };
  }

  /**
   * After the receiver was down past the retry window: every failed event written since `since` is queued again
   * (same ids, in order per vendor); answers how many. `dry_run` only counts them.
   */
  @Post('redeliver')
  @HttpCode(200)
  @ApiOkResponse({ type: RedeliverPlatformEventsResponse })
  @ApiErrors(400)
  async redeliverFailed(@Body() body: RedeliverPlatformEventsBody): Promise<RedeliverPlatformEventsResponse> {
    const since = new Date(body.since);
    const dryRun = body.dry_run === true;
    return { count: await this.events.redeliverFailed(since, dryRun), since: since.toISOString(), dry_run: dryRun };
  }

  /** Sends the event again (same id) with a fresh 3-day retry window; answers it as it stands now. */
  @Post(':id/redeliver')
  @HttpCode(200)
  @ApiOkResponse({ type: PlatformEventResponse })
  redeliver(@Param() params: PlatformEventIdParam): Promise<PlatformEventResponse> {
    return this.events.redeliver(params.id);
  }
}
