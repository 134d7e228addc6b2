import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsModule } from '@app/database';
import { SubscriptionModule } from '@app/subscription';
import { CapacityForecastService } from './forecast/capacity-forecast.service.js';
import { CapacityMetricsService } from './metrics/capacity-metrics.service.js';
import { CapacitySnapshot } from './snapshots/capacity-snapshot.entity.js';
import { CapacitySnapshotService } from './snapshots/capacity-snapshot.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([CapacitySnapshot]), SubscriptionModule, JobsModule],
  providers: [CapacityMetricsService, CapacitySnapshotService, CapacityForecastService],
  exports: [TypeOrmModule, CapacityMetricsService, CapacitySnapshotService, CapacityForecastService],
})
export class CapacityForecastModule {}
