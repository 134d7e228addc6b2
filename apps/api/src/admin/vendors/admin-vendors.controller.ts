import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { VendorAdminService, VendorDirectoryService } from '@app/admin';
import type { AuthUser } from '@app/platform';
import { AdminOnly, CurrentUser } from '../../auth/auth.decorators.js';
import { IdPipe } from '../../vendor/id.pipe.js';
import { AdminResponses } from '../admin-openapi.js';
import { AdminActionResponseDto, AssignTierDto, ExtendTrialDto, ListVendorsQuery, VendorDetailResponseDto, VendorListResponseDto } from './admin-vendors.dto.js';

/** Find a vendor, see its billing in one place, and act on it; every action is audited (CONTRACT §7). */
@ApiTags('admin')
@AdminOnly()
@Controller('api/v1/admin/vendors')
export class AdminVendorsController {
  constructor(
    private readonly directory: VendorDirectoryService,
    private readonly actions: VendorAdminService,
  ) {}

  @Get()
  @AdminResponses({ type: VendorListResponseDto }, [400])
  list(@Query() query: ListVendorsQuery) {
    return this.directory.search({ q: query.q || undefined, status: query.status, tierCode: query.tier_code, limit: query.limit, offset: query.offset });
  }

  @Get(':id')
  @AdminResponses({ type: VendorDetailResponseDto }, [400, 404])
  get(@Param('id', IdPipe) id: number) {
    return this.directory.getVendorDetail(id);
  }

  /** A trial kept here (not one on a Stripe subscription) ends `days` later. */
  @Post(':id/extend-trial')
  @HttpCode(200)
  @AdminResponses({ type: AdminActionResponseDto }, [400, 404, 409])
  extendTrial(@CurrentUser() admin: AuthUser, @Param('id', IdPipe) id: number, @Body() dto: ExtendTrialDto) {
    return this.actions.extendTrial({ adminUserId: admin.userId }, id, dto.days);
  }

  /** A tier given by hand (e.g. Enterprise sold by contract): only for a vendor Stripe does not bill. */
  @Post(':id/assign-tier')
  @HttpCode(200)
  @AdminResponses({ type: AdminActionResponseDto }, [400, 404, 409])
  assignTier(@CurrentUser() admin: AuthUser, @Param('id', IdPipe) id: number, @Body() dto: AssignTierDto) {
    return this.actions.assignTier({ adminUserId: admin.userId }, id, dto.tier_code);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @AdminResponses({ type: AdminActionResponseDto }, [400, 404])
  deactivate(@CurrentUser() admin: AuthUser, @Param('id', IdPipe) id: number) {
    return this.actions.deactivate({ adminUserId: admin.userId }, id);
  }

  @Post(':id/activate')
  @HttpCode(200)
  @AdminResponses({ type: AdminActionResponseDto }, [400, 404])
  activate(@CurrentUser() admin: AuthUser, @Param('id', IdPipe) id: number) {
    return this.actions.activate({ adminUserId: admin.userId }, id);
  }
}
