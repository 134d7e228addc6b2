import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CapacitySnapshot } from './capacity-snapshot.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([CapacitySnapshot])],
  exports: [TypeOrmModule],
})
export class CapacityForecastModule {}
