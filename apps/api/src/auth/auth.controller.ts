import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthService, type AuthUser } from '@app/platform';
import { AuthRateLimitGuard } from './auth-rate-limit.guard.js';
import { CurrentUser, Public } from './auth.decorators.js';
import { LoginDto, SignupDto } from './auth.dto.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('signup')
  signup(@Body() dto: SignupDto) {
    return this.auth.signup({ vendorName: dto.vendor_name, vendorCode: dto.vendor_code, email: dto.email, password: dto.password });
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto.email, dto.password);
  }

  /** Who the bearer token belongs to. */
  @Get('me')
  me(@CurrentUser() user: AuthUser) {
    return { user_id: user.userId, role: user.role, vendor_role: user.vendorRole, vendor_id: user.vendorId };
  }
}
