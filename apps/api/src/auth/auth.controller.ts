import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthService, type AuthUser } from '@app/platform';
import { ApiErrors } from '../common/openapi/index.js';
import { AuthRateLimitGuard } from './auth-rate-limit.guard.js';
import { AuthSessionDto, MeDto } from './auth-responses.dto.js';
import { CurrentUser, Public } from './auth.decorators.js';
import { LoginDto, SignupDto } from './auth.dto.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('signup')
  @ApiCreatedResponse({ type: AuthSessionDto })
  @ApiErrors(400, [409, 'CONFLICT (the vendor code or e-mail is taken)'], 429)
  signup(@Body() dto: SignupDto) {
    return this.auth.signup({ vendorName: dto.vendor_name, vendorCode: dto.vendor_code, email: dto.email, password: dto.password });
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthSessionDto })
  @ApiErrors(400, [401, 'UNAUTHORIZED (wrong e-mail or password; a deactivated vendor\'s user)'], 429)
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto.email, dto.password);
  }

  /** Who the bearer token belongs to. */
  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401)
  me(@CurrentUser() user: AuthUser) {
    return { user_id: user.userId, role: user.role, vendor_role: user.vendorRole, vendor_id: user.vendorId };
  }
}
