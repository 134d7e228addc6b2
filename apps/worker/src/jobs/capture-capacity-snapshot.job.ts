import { Injectable } from '@nestjs/common';
import { CapacitySnapshotService } from '@app/capacity-forecast';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import type { EntityManager } from 'typeorm';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class CaptureCapacitySnapshotJob implements WorkerJob {
  readonly name = 'capture-capacity-snapshot';
  // 00:00 UTC daily: one row per UTC day, taken before the 00:05 reset zeroes the order counters.
  readonly defaultSchedule = JOB_SCHEDULE['capture-capacity-snapshot'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['capture-capacity-snapshot'].scheduleVariable;
  readonly lock = AdvisoryLock.CaptureCapacitySnapshot;

  constructor(private readonly snapshots: CapacitySnapshotService) {}

  async run(manager: EntityManager) {
    const snapshot = await this.snapshots.capture(manager);
    return { rowsAffected: 1, details: { snapshot_date: snapshot.snapshotDate, total_vendors: snapshot.totalVendors } };
  }
}
