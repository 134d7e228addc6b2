import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AnalyticsService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { RequireFeature } from './require-feature.decorator.js';
import { AnalyticsSummaryDto } from './vendor-responses.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('summary')
  @RequireFeature('analytics')
  @ApiOkResponse({ type: AnalyticsSummaryDto })
  summary(@CurrentVendor() me: VendorAuth) {
    return this.analytics.summary(me.vendorId);
  }
}
