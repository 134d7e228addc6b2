import { Module } from '@nestjs/common';
import { JobRunnerService } from './job-runner.service.js';
import { JobScheduleService } from './job-schedule.service.js';
import { SessionLockService } from './session-lock.service.js';
import { WorkerHeartbeatService } from './worker-heartbeat.service.js';

/** The job runner: advisory lock + `job_runs` row around each run (the worker, `npm run job`, admin triggers); the schedule and the workers' heartbeats. */
@Module({ providers: [JobRunnerService, SessionLockService, WorkerHeartbeatService, JobScheduleService], exports: [JobRunnerService, WorkerHeartbeatService, JobScheduleService] })
export class JobsModule {}
