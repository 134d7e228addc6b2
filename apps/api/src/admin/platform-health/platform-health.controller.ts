import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CapacityForecastService, CapacitySnapshotService, snapshotView } from '@app/capacity-forecast';
import { PlatformHealthService } from '@app/platform-health';
import type { AuthUser } from '@app/platform';
import { AdminOnly, CurrentUser } from '../../auth/auth.decorators.js';
import { OptionalField } from '../../common/validators.js';

class TrendsQuery {
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
  report() {
    return this.health.getHealthReport();
  }

  @Get('capacity')
  capacity() {
    return this.health.getCapacity();
  }

  @Get('subscription-capacity')
  subscriptionCapacity() {
    return this.health.getSubscriptionCapacity();
  }

  @Get('trends')
  trends(@Query() query: TrendsQuery) {
    return this.forecast.getGrowthTrends(query.days);
  }

  @Get('recommendations')
  recommendations() {
    return this.forecast.getScalingRecommendations();
  }

  /** Today's snapshot now (the daily job's capture; a second call the same UTC day updates the row). */
  @Post('snapshot')
  @HttpCode(201)
  async snapshot(@CurrentUser() admin: AuthUser) {
    return snapshotView(await this.snapshots.captureNow({ adminUserId: admin.userId }));
  }
}
