import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';

class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
}

/** @nestjs/terminus's answer: `info` / `error` / `details` by indicator (here `database`). */
class ReadyDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { database: { status: 'up' } } }) info?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) error?: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' } } }) details: Record<string, unknown>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  /** The process is up (for restarts). */
  @Get('live')
  @ApiOkResponse({ type: LiveDto })
  live() {
    return { status: 'ok' };
  }

  /** The process can serve: the database answers (for load balancers). */
  @Get('ready')
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ReadyDto, description: 'the database does not answer (terminus body, not the error envelope)' })
  // Documented by the two decorators above: terminus's own documentation writes an OpenAPI 2 `schema` beside
  // the responses (and replaces these in the built app), which strict validators reject (test/ops/openapi-validates).
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
  }
}
