import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TeamService, type VendorAuth } from '@app/platform';
import { CurrentVendor, OwnerOnly, VendorOnly } from '../auth/auth.decorators.js';
import { IdPipe } from './id.pipe.js';
import { AddTeamMemberDto } from './vendor.dto.js';

@ApiTags('vendor')
@VendorOnly()
@Controller('api/v1/vendor/team')
export class TeamController {
  constructor(private readonly team: TeamService) {}

  @Get()
  list(@CurrentVendor() me: VendorAuth) {
    return this.team.list(me.vendorId);
  }

  @Post()
  @OwnerOnly()
  add(@CurrentVendor() me: VendorAuth, @Body() dto: AddTeamMemberDto) {
    return this.team.add(me.vendorId, { email: dto.email, password: dto.password });
  }

  @Delete(':id')
  @HttpCode(204)
  @OwnerOnly()
  remove(@CurrentVendor() me: VendorAuth, @Param('id', IdPipe) id: number) {
    return this.team.remove(me.vendorId, id);
  }
}
