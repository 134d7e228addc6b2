import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { TierPriceService } from '@app/billing';
import { TierService } from '@app/subscription';
import { AdminOnly } from '../../auth/auth.decorators.js';
import { ApiErrors } from '../../common/openapi/index.js';
import { AdminTierDto } from '../admin-responses.dto.js';
import { CreateTierDto, toTierInput, toTierPatch, UpdateTierDto } from './admin-tiers.dto.js';

/**
 * The database-driven tiers. A change holds from the next request: nothing caches a tier. A price change makes a new
 * Stripe price (CONTRACT §11; TierPriceService).
 */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/subscription-tiers')
export class AdminTiersController {
  constructor(
    private readonly tiers: TierService,
    private readonly prices: TierPriceService,
  ) {}

  @Get()
  @ApiOkResponse({ type: [AdminTierDto] })
  list() {
    return this.tiers.listForAdmin();
  }

  @Get(':code')
  @ApiParam({ name: 'code', example: 'business' })
  @ApiOkResponse({ type: AdminTierDto })
  @ApiErrors([404, 'TIER_NOT_FOUND'])
  get(@Param('code') code: string) {
    return this.tiers.getForAdmin(code);
  }

  @Post()
  @ApiCreatedResponse({ type: AdminTierDto })
  @ApiErrors(400, [409, 'CONFLICT (the code is taken)'])
  create(@Body() dto: CreateTierDto) {
    return this.tiers.createForAdmin(toTierInput(dto));
  }

  @Patch(':code')
  @ApiParam({ name: 'code', example: 'business' })
  @ApiOkResponse({ type: AdminTierDto })
  @ApiErrors(400, [404, 'TIER_NOT_FOUND'])
  update(@Param('code') code: string, @Body() dto: UpdateTierDto) {
    return this.prices.updateTier(code, toTierPatch(dto));
  }
}
