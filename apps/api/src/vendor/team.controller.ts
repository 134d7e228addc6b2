import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { TeamService, type VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/openapi/index.js';
import { IdPipe } from './id.pipe.js';
import { TeamMemberDto, TeamPageDto } from './vendor-responses.dto.js';
import { AddTeamMemberDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/team')
export class TeamController {
  constructor(private readonly team: TeamService) {}

  @Get()
  @ApiOkResponse({ type: TeamPageDto, description: 'the owner is a member' })
  list(@CurrentVendor() me: VendorAuth) {
    return this.team.list(me.vendorId);
  }

  @Post()
  @OwnerOnly()
  @ApiCreatedResponse({ type: TeamMemberDto })
  @ApiErrors(400, [403, 'TIER_LIMIT_EXCEEDED (details: limit_type, current, limit, tier_code); SUBSCRIPTION_INACTIVE; FORBIDDEN, or a member\'s token'], [409, 'CONFLICT (the e-mail is taken)'])
  add(@CurrentVendor() me: VendorAuth, @Body() dto: AddTeamMemberDto) {
    return this.team.add(me.vendorId, { email: dto.email, password: dto.password });
  }

  @Delete(':id')
  @HttpCode(204)
  @OwnerOnly()
  @ApiParam({ name: 'id', type: 'integer', description: 'the user id' })
  @ApiNoContentResponse({ description: 'removed; their seat is free' })
  @ApiErrors([400, 'VALIDATION_FAILED; the owner cannot be removed'], 404)
  remove(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.team.remove(me.vendorId, id);
  }
}
