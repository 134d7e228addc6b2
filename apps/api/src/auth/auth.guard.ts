import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError } from '@app/common';
import { AuthService, type AuthUser, type UserRole } from '@app/platform';
import type { Request } from 'express';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';

/** Global: every route needs a valid bearer token unless it is `@Public()`, and the role its controller names. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { auth?: AuthUser }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new UnauthorizedError('A bearer token is required.');
    const user = await this.auth.verifyToken(token);
    const role = this.reflector.getAllAndOverride<UserRole | undefined>(REQUIRED_ROLE, targets);
    if (role && user.role !== role) throw new ForbiddenError(`This route needs the ${role} role.`);
    request.auth = user;
    return true;
  }
}
