import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CapacityForecastService, CapacitySnapshotService, snapshotView } from '@app/capacity-forecast';
import { PlatformHealthService } from '@app/platform-health';
import type { AuthUser } from '@app/platform';
import { AdminOnly, CurrentUser } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/index.js';
import { OptionalField } from '../../common/validators.js';
import { CapacityDto, CapacitySnapshotDto, GrowthTrendsDto, HealthReportDto, RecommendationDto, SubscriptionCapacityDto } from './platform-health-responses.dto.js';

class TrendsQuery {
  @ApiPropertyOptional({ type: 'integer', default: 30, minimum: 1, maximum: 365, description: 'the window of daily snapshots, in days' })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(365)
  days: number = 30;
}

/** Capacity, growth and scaling advice for the platform's operators (CONTRACT §7, the design note's shapes). */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/platform-health')
export class PlatformHealthController {
  constructor(
    private readonly health: PlatformHealthService,
    private readonly forecast: CapacityForecastService,
    private readonly snapshots: CapacitySnapshotService,
  ) {}

  @Get('health')
  @ApiOkResponse({ type: HealthReportDto })
  report() {
    return this.health.getHealthReport();
  }

  @Get('capacity')
  @ApiOkResponse({ type: CapacityDto })
  capacity() {
    return this.health.getCapacity();
  }

  @Get('subscription-capacity')
  @ApiOkResponse({ type: SubscriptionCapacityDto })
  subscriptionCapacity() {
    return this.health.getSubscriptionCapacity();
  }

  @Get('trends')
  @ApiOkResponse({ type: GrowthTrendsDto })
  @ApiErrors(400)
  trends(@Query() query: TrendsQuery) {
    return this.forecast.getGrowthTrends(query.days);
  }

  @Get('recommendations')
  @ApiOkResponse({ type: [RecommendationDto] })
  recommendations() {
    return this.forecast.getScalingRecommendations();
  }

  /** Today's snapshot now (the daily job's capture; a second call the same UTC day updates the row). */
  @Post('snapshot')
  @HttpCode(201)
  @ApiCreatedResponse({ type: CapacitySnapshotDto, description: "today's snapshot (created, or updated the same UTC day)" })
  async snapshot(@CurrentUser() admin: AuthUser) {
    return snapshotView(await this.snapshots.captureNow({ adminUserId: admin.userId }));
  }
}
