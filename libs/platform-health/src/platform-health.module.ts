import { Module } from '@nestjs/common';
import { CapacityForecastModule } from '@app/capacity-forecast';
import { PlatformHealthService } from './platform-health.service.js';

@Module({
  imports: [CapacityForecastModule],
  providers: [PlatformHealthService],
  exports: [PlatformHealthService, CapacityForecastModule],
})
export class PlatformHealthModule {}
