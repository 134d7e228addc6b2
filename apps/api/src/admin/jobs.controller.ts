import { Controller, Get, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { JobRunnerService, JobScheduleService, type JobRun } from '@app/database';
import { AdminOnly } from '../auth/auth.decorators.js';
import { OptionalField } from '../common/validators.js';
import { AdminResponses } from './admin-openapi.js';

class ListJobRunsQuery {
  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

const toJobRunView = (r: JobRun) => ({
  id: r.id, name: r.name, status: r.status, started_at: r.startedAt, finished_at: r.finishedAt,
  rows_affected: r.rowsAffected, error: r.error, details: r.details,
});

class JobRunDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'skipped'] }) status: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at: string | null;
  @ApiProperty() rows_affected: number;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) details: Record<string, unknown> | null;
}

class JobRunListDto {
  @ApiProperty({ type: [JobRunDto] }) items: JobRunDto[];
}

class LastRunDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'skipped'] }) status: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at: string | null;
  @ApiProperty() rows_affected: number;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
}

class ScheduledJobDto {
  @ApiProperty({ example: 'capture-capacity-snapshot' }) name: string;
  @ApiProperty({ example: '0 0 * * *', description: 'cron, UTC' }) cron: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) next_run_at: string | null;
  @ApiProperty({ type: LastRunDto, nullable: true }) last_run: LastRunDto | null;
}

class WorkerProcessDto {
  @ApiProperty() worker_id: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ format: 'date-time' }) last_seen_at: string;
  @ApiProperty() alive: boolean;
}

class WorkerStatusDto {
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'the latest heartbeat of any worker' }) last_seen_at: string | null;
  @ApiProperty({ description: 'a heartbeat within the last 3 minutes' }) alive: boolean;
  @ApiProperty({ type: [WorkerProcessDto] }) workers: WorkerProcessDto[];
}

class JobScheduleDto {
  @ApiProperty({ type: [ScheduledJobDto] }) items: ScheduledJobDto[];
  @ApiProperty({ type: WorkerStatusDto }) worker: WorkerStatusDto;
}

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobRunnerService,
    private readonly schedule: JobScheduleService,
  ) {}

  /** The worker's recent job runs, newest first. */
  @Get()
  @AdminResponses({ type: JobRunListDto }, [400])
  async list(@Query() query: ListJobRunsQuery) {
    return { items: (await this.jobs.recentRuns(query.limit)).map(toJobRunView) };
  }

  /** Each job's cron, next and last run, and whether a worker is alive (its heartbeat). */
  @Get('schedule')
  @AdminResponses({ type: JobScheduleDto })
  getSchedule() {
    return this.schedule.getSchedule();
  }
}
