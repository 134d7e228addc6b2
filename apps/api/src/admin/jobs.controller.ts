import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { JobRun } from '@app/database';
import { Repository } from 'typeorm';
import { AdminOnly } from '../auth/auth.decorators.js';

class ListJobRunsQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;
}

@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/jobs')
export class JobsController {
  constructor(@InjectRepository(JobRun) private readonly runs: Repository<JobRun>) {}

  /** The worker's recent job runs, newest first. */
  @Get()
  async list(@Query() query: ListJobRunsQuery) {
    const runs = await this.runs.find({ order: { startedAt: 'DESC', id: 'DESC' }, take: query.limit });
    return {
      items: runs.map((r) => ({
        id: r.id, name: r.name, status: r.status, started_at: r.startedAt, finished_at: r.finishedAt,
        rows_affected: r.rowsAffected, error: r.error, details: r.details,
      })),
    };
  }
}
