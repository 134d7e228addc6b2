import { Module } from '@nestjs/common';
import { CapacityForecastModule } from '@app/capacity-forecast';
import { JobsModule } from '@app/database';
import { PlatformHealthService } from './platform-health.service.js';

@Module({
  imports: [CapacityForecastModule, JobsModule],
  providers: [PlatformHealthService],
  exports: [PlatformHealthService, CapacityForecastModule],
})
export class PlatformHealthModule {}
