import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '@app/platform';
import { PriceMigrationService } from '@app/subscription';
import { AdminOnly, CurrentUser } from '../../auth/auth.decorators.js';
import { IdPipe } from '../../vendor/id.pipe.js';
import { AdminResponses } from '../admin-openapi.js';
import { CreatePriceMigrationDto, PriceMigrationPreviewDto, PriceMigrationProgressDto, PriceMigrationStartedDto } from './price-migrations.dto.js';

/**
 * Price migrations (CONTRACT §11): preview who moves and the MRR change (`dry_run`), or start one (202) that the
 * worker carries out, and watch its progress.
 */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/price-migrations')
export class PriceMigrationsController {
  constructor(private readonly migrations: PriceMigrationService) {}

  @Post()
  @HttpCode(202)
  @ApiExtraModels(PriceMigrationPreviewDto, PriceMigrationStartedDto)
  @ApiResponse({ status: 200, description: 'dry_run: the preview', schema: { $ref: getSchemaPath(PriceMigrationPreviewDto) } })
  @AdminResponses({ status: 202, type: PriceMigrationStartedDto }, [400, 404, 409])
  async create(@CurrentUser() admin: AuthUser, @Body() dto: CreatePriceMigrationDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = { tierCode: dto.tier_code, isAnnual: dto.is_annual, noticeDays: dto.notice_days };
    if (!dto.dry_run) return this.migrations.start(input, admin.userId);
    reply.status(200);
    return this.migrations.preview(input);
  }

  @Get()
  @AdminResponses({ type: [PriceMigrationProgressDto] })
  list() {
    return this.migrations.list();
  }

  @Get(':id')
  @AdminResponses({ type: PriceMigrationProgressDto }, [400, 404])
  get(@Param('id', IdPipe) id: number) {
    return this.migrations.progress(id);
  }
}
