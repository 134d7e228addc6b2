import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { JobRunnerService, type JobRun } from '@app/database';
import { AdminOnly } from '../auth/auth.decorators.js';
import { OptionalField } from '../common/validators.js';

class ListJobRunsQuery {
  @OptionalField() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

const toJobRunView = (r: JobRun) => ({
  id: r.id, name: r.name, status: r.status, started_at: r.startedAt, finished_at: r.finishedAt,
  rows_affected: r.rowsAffected, error: r.error, details: r.details,
});

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/jobs')
export class JobsController {
  constructor(private readonly jobs: JobRunnerService) {}

  /** The worker's recent job runs, newest first. */
  @Get()
  async list(@Query() query: ListJobRunsQuery) {
    return { items: (await this.jobs.recentRuns(query.limit)).map(toJobRunView) };
  }
}
