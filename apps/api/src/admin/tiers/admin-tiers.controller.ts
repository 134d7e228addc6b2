import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TierService } from '@app/subscription';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { CreateTierDto, toTierInput, toTierPatch, UpdateTierDto } from './admin-tiers.dto.js';

/** The database-driven tiers. A change holds from the next request: nothing caches a tier. */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/subscription-tiers')
export class AdminTiersController {
  constructor(private readonly tiers: TierService) {}

  @Get()
  list() {
    return this.tiers.listForAdmin();
  }

  @Get(':code')
  get(@Param('code') code: string) {
    return this.tiers.getForAdmin(code);
  }

  @Post()
  create(@Body() dto: CreateTierDto) {
    return this.tiers.createForAdmin(toTierInput(dto));
  }

  @Patch(':code')
  update(@Param('code') code: string, @Body() dto: UpdateTierDto) {
    return this.tiers.updateForAdmin(code, toTierPatch(dto));
  }
}
