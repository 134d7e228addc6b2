import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlatformEventAdminService } from '@app/platform-events';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ListPlatformEventsQuery, PlatformEventIdParam, PlatformEventListResponse, PlatformEventResponse } from './platform-events.dto.js';

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

  /** Sends the event again (same id) with a fresh 3-day retry window; answers it as it stands now. */
  @Post(':id/redeliver')
  @HttpCode(200)
  @ApiOkResponse({ type: PlatformEventResponse })
  redeliver(@Param() params: PlatformEventIdParam): Promise<PlatformEventResponse> {
    return this.events.redeliver(params.id);
  }
}
