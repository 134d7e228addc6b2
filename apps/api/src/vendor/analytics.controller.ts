import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AnalyticsService, type VendorAuth } from '@app/platform';
import { CurrentVendor, VendorOnly } from '../auth/auth.decorators.js';
import { RequireFeature } from './require-feature.decorator.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('summary')
  @RequireFeature('analytics')
  summary(@CurrentVendor() me: VendorAuth) {
    return this.analytics.summary(me.vendorId);
  }
}
